// Service messages of the playground services (English; the renderer's zh-CN/srv/playground.ts mirrors it).
export const playgroundMessages = {} as const
