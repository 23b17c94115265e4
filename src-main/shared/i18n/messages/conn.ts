// Service messages of the conn services (English; the renderer's zh-CN/srv/conn.ts mirrors it).
export const connMessages = {} as const
