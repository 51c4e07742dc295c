import { probe } from "@builder/lattice-config";
export const probe2: number = probe * 2;
