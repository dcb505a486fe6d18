import { type DynamicModule, Global, Module } from '@nestjs/common';
import { type CountersignConfig, loadConfig } from './config';
import { createMailer, MAILER } from './mailer';

export const CONFIG = Symbol('CountersignConfig');

@Global()
@Module({})
export class ConfigModule {
  /**
   * The config is loaded once by the entry point, so start-up fails before Nest builds anything. The Mailer (null
   * without SMTP_URL) comes with it: every app that has the config can send mail.
   */
  static forRoot(config: CountersignConfig = loadConfig()): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: MAILER, useFactory: () => createMailer(config) },
      ],
      exports: [CONFIG, MAILER],
    };
  }
}
