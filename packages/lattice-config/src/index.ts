export const probe: number = 41 + 1;
