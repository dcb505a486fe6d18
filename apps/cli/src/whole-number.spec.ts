import { InvalidArgumentError } from 'commander';
import { wholeNumber } from './whole-number';

describe('wholeNumber: numeric CLI options', () => {
  const days = wholeNumber(1, 3650);

  it('takes decimal digits within the range', () => {
    expect(days('1')).toBe(1);
    expect(days('007')).toBe(7);
    expect(days('3650')).toBe(3650);
  });

  it.each(['abc', '', ' 7', '7 ', '1e3', '-5', '+5', '1.5', '0x10', '0', '3651', '99999999999999999999', 'Infinity', 'NaN'])(
    'refuses %j, saying what it takes',
    (value) => {
      expect(() => days(value)).toThrow(InvalidArgumentError);
      expect(() => days(value)).toThrow('must be a whole number from 1 to 3650');
    },
  );
});
