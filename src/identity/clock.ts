/** Now, injectable: real-time segment rules look back minutes or days, and tests must not wait for them. */
export type Clock = () => Date;

export const systemClock: Clock = () => new Date();
