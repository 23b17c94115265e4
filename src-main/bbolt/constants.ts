// Numbers that define bbolt's on-disk format (bbolt 1.3.x, the version etcd 3.4 links).
// All multi-byte integers in a bbolt file are native-endian; every platform etcd ships
// for is little-endian, so this module reads and writes little-endian throughout.

export const BOLT_MAGIC = 0xed0cdaed
export const BOLT_VERSION = 2

export const PAGE_HEADER_SIZE = 16
export const BRANCH_ELEMENT_SIZE = 16
export const LEAF_ELEMENT_SIZE = 16
/** InBucket {root u64, sequence u64}: the value stored for a bucket entry. */
export const BUCKET_HEADER_SIZE = 16
/** Size of the meta struct up to, not including, the checksum field. */
export const META_CHECKSUMMED_BYTES = 56
export const META_SIZE = 64

export const PageFlag = {
  branch: 0x01,
  leaf: 0x02,
  meta: 0x04,
  freelist: 0x10,
} as const

/** Leaf element flag marking the value as a nested bucket. */
export const BUCKET_LEAF_FLAG = 0x01

/** meta.freelist value when the freelist is not persisted (etcd sets NoFreelistSync). */
export const NO_FREELIST_PGID = 0xffff_ffff_ffff_ffffn

/** Freelist pages use this count to say "the real count is the first u64". */
export const FREELIST_COUNT_OVERFLOW = 0xffff

export const MAX_KEY_SIZE = 32768
export const MAX_VALUE_SIZE = 0x7fff_fffe

export const DEFAULT_PAGE_SIZE = 4096

/** Page sizes we probe when meta page 0 is damaged and cannot tell us the page size. */
export const CANDIDATE_PAGE_SIZES = [4096, 8192, 16384, 32768, 65536, 1024, 2048] as const

/** etcd appends a SHA-256 of the db to a snapshot; etcd detects it by size % 512 == 32. */
export const SNAPSHOT_HASH_SIZE = 32
export const SNAPSHOT_SIZE_ALIGN = 512
