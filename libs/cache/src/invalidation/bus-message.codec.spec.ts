import { Packr } from 'msgpackr';
import { BUS_FORMAT_VERSION, decodeBusMessage, encodeBusMessage } from './bus-message.codec.js';

const packr = new Packr({ useRecords: false });
const pack = (value: unknown): Buffer => packr.pack(value);

describe('bus message codec', () => {
  it('round-trips keys, tags and clear with the sender and the format version, compactly', () => {
    const encoded = encodeBusMessage('instance-1', { keys: ['product:13'], tags: ['products'] });
    expect(encoded.length).toBeLessThan(40);
    expect(decodeBusMessage(encoded)).toEqual({
      kind: 'message',
      sender: 'instance-1',
      message: { keys: ['product:13'], tags: ['products'], clear: false },
    });
  });

  it.each([
    ['the message from the issue', ['x', { length: 1 }, [], false]],
    ['keys that are not an array', [BUS_FORMAT_VERSION, 'x', { length: 1 }, [], false]],
    ['a key that is not a string', [BUS_FORMAT_VERSION, 'x', ['a', 1], [], false]],
    ['a tag that is an object', [BUS_FORMAT_VERSION, 'x', [], [{}], false]],
    ['a clear that is not a boolean', [BUS_FORMAT_VERSION, 'x', [], [], 'yes']],
    ['a missing field', [BUS_FORMAT_VERSION, 'x', [], []]],
    ['an extra field', [BUS_FORMAT_VERSION, 'x', [], [], false, 1]],
    ['an empty sender', [BUS_FORMAT_VERSION, '', [], [], false]],
    ['a sender that is not a string', [BUS_FORMAT_VERSION, 7, [], [], false]],
    ['more keys than a message may carry', [BUS_FORMAT_VERSION, 'x', Array.from({ length: 1_001 }, () => 'k'), [], false]],
    ['a map', { sender: 'x' }],
    ['a string', 'hello'],
    ['null', null],
  ])('rejects %s without throwing', (_label, wire) => {
    expect(decodeBusMessage(pack(wire))).toEqual({ kind: 'malformed' });
  });

  it('rejects bytes that are not MessagePack, or claim more than they hold, without throwing', () => {
    for (const bytes of [[0xc1], [0xdd, 0xff, 0xff, 0xff, 0xff, 0x01], [0xc7, 0x01, 0x72, 0x00], []]) {
      expect(decodeBusMessage(Buffer.from(bytes))).toEqual({ kind: 'malformed' });
    }
    expect(decodeBusMessage(Buffer.from('{"keys":["a"]}'))).toEqual({ kind: 'malformed' });
  });

  it('recognizes a message of another format version without reading its content', () => {
    expect(decodeBusMessage(pack([2, 'newer', { anything: true }]))).toEqual({ kind: 'other-version', sender: 'newer', version: 2 });
  });
});
