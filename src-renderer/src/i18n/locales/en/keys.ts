// English UI messages of the keys area.
export default {}
