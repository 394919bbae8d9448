/** Where the emulator tier points: AWS_ENDPOINT_URL (MiniStack or LocalStack), dummy credentials. */
export const ENDPOINT = process.env.AWS_ENDPOINT_URL ?? 'http://127.0.0.1:4566';
export const REGION = process.env.AWS_REGION ?? 'us-east-1';
export const STACK = 'landing-to-lake-test';

export function e2eEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    AWS_ENDPOINT_URL: ENDPOINT,
    AWS_ENDPOINT_URL_S3: process.env.AWS_ENDPOINT_URL_S3 ?? ENDPOINT,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'test',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    // cdklocal 3 forwards AWS_* variables only when listed here.
    AWS_ENVAR_ALLOWLIST: 'AWS_REGION,AWS_DEFAULT_REGION,AWS_ENDPOINT_URL,AWS_ENDPOINT_URL_S3',
  };
}

// SDK clients in the tests read these.
Object.assign(process.env, e2eEnv());
