// Service messages of the backup services (English; the renderer's zh-CN/srv/backup.ts mirrors it).
export const backupMessages = {} as const
