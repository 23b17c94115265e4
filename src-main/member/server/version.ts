/** The etcd versions this member reports: the server's (Status) and the cluster's (set by the first leader). */
export const SERVER_VERSION = '3.4.23'
export const CLUSTER_VERSION = '3.4.0'
