import { describe, expect, it } from 'vitest';
import { chooseSource, selects } from './release-lookup.js';
import { recordName, recordSelector } from '../store/record-names.js';

const known = [
  { id: 'aaaaaaaaaaaa', repo: 'http://git.example.com/a.git', path: '.' },
  { id: 'abcdef012345', repo: '/srv/git/b.git', path: 'teams/web' },
  { id: 'cccccccccccc', repo: 'http://git.example.com/a.git', path: 'other' },
];
const web = { app: 'web', env: 'default' };

describe('record names', () => {
  it('scope records by source; unscoped ones keep the old names', () => {
    expect(recordName('state', { ...web, source: 'aaaaaaaaaaaa' })).toBe('ferry-state.aaaaaaaaaaaa.web.default');
    expect(recordName('inventory', web)).toBe('ferry-inventory.web.default');
    expect(recordSelector('hold', 'aaaaaaaaaaaa')).toBe('ferry.dev/kind=hold,ferry.dev/source=aaaaaaaaaaaa');
    expect(recordSelector('state', null)).toBe('ferry.dev/kind=state,!ferry.dev/source');
    expect(recordSelector('state')).toBe('ferry.dev/kind=state');
  });
});

describe('chooseSource', () => {
  it.each([
    ['one source recorded it', ['aaaaaaaaaaaa', 'aaaaaaaaaaaa'], [], { ok: true, source: 'aaaaaaaaaaaa' }],
    ['only unscoped records (an older controller, or ferry apply)', [undefined], [], { ok: true }],
    [
      'scoped records win over leftover unscoped ones',
      [undefined, 'abcdef012345'],
      [],
      { ok: true, source: 'abcdef012345' },
    ],
    ['--source by id', ['aaaaaaaaaaaa', 'abcdef012345'], ['abcdef012345'], { ok: true, source: 'abcdef012345' }],
    ['--source by id prefix', ['aaaaaaaaaaaa', 'abcdef012345'], ['abcd'], { ok: true, source: 'abcdef012345' }],
    [
      '--source by repository path',
      ['aaaaaaaaaaaa', 'abcdef012345'],
      ['/srv/git/b.git/'],
      { ok: true, source: 'abcdef012345' },
    ],
  ] as const)('%s', (_what, recorded, selectors, expected) => {
    expect(chooseSource(web, [...recorded], known, [...selectors])).toEqual(expected);
  });

  it('two sources without --source: an error naming both and the flag', () => {
    expect(chooseSource(web, ['abcdef012345', 'aaaaaaaaaaaa'], known, [])).toEqual({
      ok: false,
      error:
        'web/default is recorded by 2 Git sources: aaaaaaaaaaaa (http://git.example.com/a.git); ' +
        'abcdef012345 (/srv/git/b.git, path teams/web); choose one with --source <id|repo>',
    });
  });

  it('a --source that matches several or none of them is an error', () => {
    expect(chooseSource(web, ['aaaaaaaaaaaa', 'cccccccccccc'], known, ['http://git.example.com/a.git'])).toMatchObject({
      ok: false,
      error: expect.stringMatching(
        /^--source http:\/\/git.example.com\/a.git matches 2 sources of web\/default: .*; give a source id$/,
      ),
    });
    expect(chooseSource(web, ['aaaaaaaaaaaa'], known, ['ffff'])).toEqual({
      ok: false,
      error: 'web/default has no records of source ffff; it is recorded by aaaaaaaaaaaa (http://git.example.com/a.git)',
    });
  });

  it('a short prefix never selects', () => {
    expect(selects('aa', known[0]!)).toBe(false);
    expect(selects('aaaa', known[0]!)).toBe(true);
  });
});
