// A type test, checked by tsc (tsconfig.core.json, part of `npm run build`), not run by vitest:
// value keys are the value-key table's (firmware/core/values/keys.ts), so a misspelt key
// does not compile. Each @ts-expect-error fails the build if its line ever compiles.
import type { Values } from '../../firmware/core/decoders/types.js';
import type { DeviceType } from '../../firmware/core/devices/table.js';

export const out: Values = {};
out.Temperature = 21.5;
out.Button3 = 1; // numbered copies of a key
out.Temperature2 = 20.5;
out['PM2.5'] = 12;
out.Text = 'hello';

// @ts-expect-error misspelt key
out.Temprature = 21.5;
// @ts-expect-error misspelt numbered key
out.Buton1 = 1;
// @ts-expect-error not a key of the table
out.Colour = 3;

// @ts-expect-error misspelt key in a literal
export const literal: Values = { Humidty: 50 };

// A device row's entities are value keys too.
export const entities: DeviceType['entities'] = ['Temperature', 'Button'];
// @ts-expect-error misspelt entity
export const misspelt: DeviceType['entities'] = ['Temperature', 'Humidty'];
