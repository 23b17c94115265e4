// Service messages of the keys services (English; the renderer's zh-CN/srv/keys.ts mirrors it).
export const keysMessages = {} as const
