// English UI messages of the conn area.
export default {}
