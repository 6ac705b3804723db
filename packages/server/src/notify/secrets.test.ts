import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretBox } from '../identity/secret-box.ts';
import { openConfig } from './channel-store.ts';
import { MASK, maskConfig, splitSecrets, unmask } from './secrets.ts';

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
    [
      { url: 'https://user:pass@sms.example/send?apikey=k&from=ops' },
      { url: `https://${MASK}:${MASK}@sms.example/send?apikey=${MASK}&from=${MASK}` },
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

  it('takes a mask in a field that is not secret as the text it is', () => {
    const stored = { url: 'https://x/hook', bodyTemplate: '{"t":"{{text}}"}' };
    expect(unmask({ url: 'https://x/hook', bodyTemplate: MASK }, stored)).toEqual({
      url: 'https://x/hook',
      bodyTemplate: MASK,
    });
  });

  it('refuses a masked secret with nothing stored behind it', () => {
    expect(() => unmask({ url: 'https://x/hook', secret: MASK }, { url: 'https://x/hook' })).toThrow(
      expect.objectContaining({ errors: [expect.objectContaining({ path: 'body.config.secret' })] }),
    );
  });

  it('opens sealed secrets only on the channel they were sealed for', () => {
    const box = new SecretBox(randomBytes(32));
    const config = { url: 'https://x/hook?token=t', secret: 's', to: ['a@b'] };
    const { shown, secret } = splitSecrets(config);
    const secrets = box.seal(JSON.stringify({ channel: 'a', values: secret }));
    expect(openConfig(box, { id: 'a', config: shown, secrets })).toEqual(config);
    expect(() => openConfig(box, { id: 'b', config: shown, secrets })).toThrow(/belong to another channel/);
  });
});
