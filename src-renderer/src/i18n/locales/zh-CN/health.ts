import type health from '../en/health'
import type { Shape } from '../shape'

export default {
  state: { healthy: '健康', degraded: '降级', down: '不可用', stopped: '已停止', unknown: '未知' },
  reason: {
    'all-up': '{total} 个成员全部在线，leader 是 {leader}。',
    'members-down': '{total} 个成员中 {up} 个在线，仍满足 {quorum} 个的法定人数（quorum），leader 是 {leader}。离线：{down}。',
    'members-lagging': '所有成员都在线，leader 是 {leader}，但 {lagging} 落后于 leader 或与其失联。',
    'no-quorum': '{total} 个成员中只有 {up} 个在线，不足法定人数 {quorum}：集群无法选出 leader，也无法写入。',
    'no-leader': '{total} 个成员中 {up} 个在线，但当前没有 leader：暂时无法写入，也无法进行线性一致读。',
    'several-leaders': '有多个成员声称自己是同一 term 的 leader：这是几个互相独立的集群，而不是一个。',
    split: '这些 endpoint 不属于同一个集群：详见集群视图中的告警。',
    unreachable: '没有任何成员响应。',
    stopped: '该 playground 已停止。',
    'no-status': '尚未获取到状态。',
  },
} satisfies Shape<typeof health>
