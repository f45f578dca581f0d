export * from './types';
export * from './contract';
