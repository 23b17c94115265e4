import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router'

// Hash history: the same URLs work from file:// (Electron) and from the browser shell. `label` is an i18n key.
export const areas = [
  { path: '/cluster', name: 'cluster', label: 'shell.areas.cluster', component: () => import('./features/cluster/ClusterView.vue') },
  { path: '/keys', name: 'keys', label: 'shell.areas.keys', component: () => import('./features/keys/KeysView.vue') },
  { path: '/backups', name: 'backups', label: 'shell.areas.backups', component: () => import('./features/backups/BackupsView.vue') },
  { path: '/restore', name: 'restore', label: 'shell.areas.restore', component: () => import('./features/restore/RestoreView.vue') },
  { path: '/activity', name: 'activity', label: 'shell.areas.activity', component: () => import('./features/activity/ActivityView.vue') },
] as const

const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/cluster' },
  ...areas.map((a) => ({ path: a.path, name: a.name, component: a.component, meta: { label: a.label } })),
  { path: '/:rest(.*)*', redirect: '/cluster' },
]

export const router = createRouter({ history: createWebHashHistory(), routes })
