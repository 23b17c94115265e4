// The doctor's findings and the kubeadm import's notes in the UI's language: the services send each
// text as a message (key and parameters) beside its English; an older service without the message
// still shows its English.
import type { DoctorStep, EndpointVerdict, KubeadmImport, TunnelVerdict } from '@shared/dto'
import type { Msg } from '@shared/i18n/message'
import { t, tMsg } from '../../i18n'

const text = (m: Msg | undefined, english: string): string => (m ? tMsg(m) : english)

export const verdictMessage = (v: EndpointVerdict | TunnelVerdict): string => text(v.msg, v.message)
export const verdictFix = (v: EndpointVerdict | TunnelVerdict): string => text(v.fixMsg, v.fix)
export const stepNote = (s: DoctorStep): string => text(s.noteMsg, s.note)
export const stepName = (s: DoctorStep): string => t(`conn.doctor.step.${s.name}`)

type Finding = KubeadmImport['findings'][number]
export const kubeadmFindingWhat = (f: Finding): string => text(f.whatMsg, f.what)
export const kubeadmFindingNote = (f: Finding): string => text(f.noteMsg, f.note)
export const kubeadmWarnings = (k: KubeadmImport): string[] => (k.warningMsgs?.length === k.warnings.length ? k.warningMsgs.map((m) => tMsg(m)) : k.warnings)
