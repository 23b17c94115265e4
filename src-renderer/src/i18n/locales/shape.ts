// Every locale is checked against English at compile time. The type lives with the services' messages,
// whose Chinese catalog (src-main/shared/i18n/zh-CN) uses it too.
export type { Shape } from '@shared/i18n/message'
