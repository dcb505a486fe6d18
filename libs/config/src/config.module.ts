import { type DynamicModule, Global, Module } from '@nestjs/common';
import { type CountersignConfig, loadConfig } from './config';

export const CONFIG = Symbol('CountersignConfig');

@Global()
@Module({})
export class ConfigModule {
  /** The config is loaded once by the entry point, so start-up fails before Nest builds anything. */
  static forRoot(config: CountersignConfig = loadConfig()): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: CONFIG, useValue: config }], exports: [CONFIG] };
  }
}
