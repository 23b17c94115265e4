// English UI messages of the restore area.
export default {}
