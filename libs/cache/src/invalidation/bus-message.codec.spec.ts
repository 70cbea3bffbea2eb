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
      version: 1,
      message: { keys: ['product:13'], tags: ['products'], clear: false },
    });
  });

  it('carries soft invalidations in format v2 and keeps hard ones in v1, which earlier releases read', () => {
    const soft = encodeBusMessage('instance-1', { keys: ['product:13'], soft: true });
    expect(packr.unpack(soft)).toEqual([2, 'instance-1', ['product:13'], [], false, true]);
    expect(decodeBusMessage(soft)).toEqual({ kind: 'message', sender: 'instance-1', version: 2, message: { keys: ['product:13'], tags: [], clear: false, soft: true } });
    expect(packr.unpack(encodeBusMessage('instance-1', { tags: ['t'] }))).toEqual([1, 'instance-1', [], ['t'], false]);
    expect(decodeBusMessage(pack([1, 'old', ['k'], [], false]))).toEqual({ kind: 'message', sender: 'old', version: 1, message: { keys: ['k'], tags: [], clear: false } });
  });

  it.each([
    ['a soft flag that is not a boolean', [2, 'x', [], [], false, 'yes']],
    ['a v2 message without its soft flag', [2, 'x', [], [], false]],
    ['a v1 message with a soft flag', [1, 'x', [], [], false, true]],
    ['the message from the issue', ['x', { length: 1 }, [], false]],
    ['keys that are not an array', [1, 'x', { length: 1 }, [], false]],
    ['a key that is not a string', [1, 'x', ['a', 1], [], false]],
    ['a tag that is an object', [1, 'x', [], [{}], false]],
    ['a clear that is not a boolean', [1, 'x', [], [], 'yes']],
    ['a missing field', [BUS_FORMAT_VERSION, 'x', [], [], false]],
    ['an extra field', [BUS_FORMAT_VERSION, 'x', [], [], false, true, 1]],
    ['an empty sender', [1, '', [], [], false]],
    ['a sender that is not a string', [1, 7, [], [], false]],
    ['more keys than a message may carry', [1, 'x', Array.from({ length: 1_001 }, () => 'k'), [], false]],
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
    expect(decodeBusMessage(pack([3, 'newer', { anything: true }]))).toEqual({ kind: 'other-version', sender: 'newer', version: 3 });
  });
});
