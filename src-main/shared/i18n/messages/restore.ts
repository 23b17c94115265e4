// Service messages of the restore services (English; the renderer's zh-CN/srv/restore.ts mirrors it).
export const restoreMessages = {} as const
