import { describe, expect, it } from 'vitest';
import { MASK, maskConfig, unmask } from './secrets.ts';

describe('channel secrets', () => {
  it.each([
    [
      { url: 'https://oapi.dingtalk.com/robot/send?access_token=abc', secret: 'SECx' },
      { url: `https://oapi.dingtalk.com/robot/send?access_token=${MASK}`, secret: MASK },
    ],
    [
      { url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1' },
      { url: `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=${MASK}` },
    ],
    [
      { url: 'https://hooks.slack.com/services/T1/B2/XYZ' },
      { url: `https://hooks.slack.com/services/T1/B2/${MASK}` },
    ],
    [
      { url: 'https://open.feishu.cn/open-apis/bot/v2/hook/tok' },
      { url: `https://open.feishu.cn/open-apis/bot/v2/hook/${MASK}` },
    ],
    [
      { host: 'smtp', password: 'p', to: ['a@b'] },
      { host: 'smtp', password: MASK, to: ['a@b'] },
    ],
    [
      { url: 'https://x/hook', headers: { Authorization: 'Bearer t' } },
      { url: 'https://x/hook', headers: { Authorization: MASK } },
    ],
  ])('masks %j', (config, shown) => {
    expect(maskConfig(config)).toEqual(shown);
  });

  it('keeps stored secrets for masked values and takes new ones', () => {
    const stored = {
      url: 'https://a/robot/send?access_token=abc',
      secret: 'SECx',
      headers: { A: '1', B: '2' },
    };
    const sent = { ...maskConfig(stored), secret: 'SECnew', headers: { A: MASK, B: 'changed' } };
    expect(unmask(sent, stored)).toEqual({
      url: stored.url,
      secret: 'SECnew',
      headers: { A: '1', B: 'changed' },
    });
  });
});
