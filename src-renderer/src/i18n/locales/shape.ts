/** The same keys as the English messages, each a string: every locale is checked against English at compile time. */
export type Shape<T> = { [K in keyof T]: T[K] extends string ? string : Shape<T[K]> }
