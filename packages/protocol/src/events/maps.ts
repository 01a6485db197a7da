import type { z } from "zod";
import {
  ZAgentHeartbeat,
  ZAgentReady,
  ZAgentRegister,
  ZTrialComplete,
  ZTrialLease,
  ZTrialMetric,
  ZTrialSignal,
  type TCompleteAck,
  type THeartbeatAck,
  type TLeaseAck,
  type TMetricAck,
  type TReadyAck,
  type TRegisterAck,
  type TSignalAck,
} from "./schemas.js";
import { ZReplicaEnded, ZReplicaReady, ZReplicaStart, ZReplicaStop, type TReplicaAck, type TReplicaStartAck } from "./serving.js";

/**
 * Typed event maps for `socket.io` / `socket.io-client` generics:
 *   new Server<AgentToServerEvents, ServerToAgentEvents>()  /  io() as Socket<ServerToAgentEvents, AgentToServerEvents>
 * Every event is acknowledged; payloads arrive as `unknown` on the receiving side and are
 * parsed with the schema of the same name (AGENT_EVENT_SCHEMAS).
 */
export interface AgentToServerEvents {
  "agent:register": (payload: z.input<typeof ZAgentRegister>, ack: (r: TRegisterAck) => void) => void;
  "agent:heartbeat": (payload: z.input<typeof ZAgentHeartbeat>, ack: (r: THeartbeatAck) => void) => void;
  "agent:ready": (payload: z.input<typeof ZAgentReady>, ack: (r: TReadyAck) => void) => void;
  "trial:metric": (payload: z.input<typeof ZTrialMetric>, ack: (r: TMetricAck) => void) => void;
  "trial:complete": (payload: z.input<typeof ZTrialComplete>, ack: (r: TCompleteAck) => void) => void;
  "replica:ready": (payload: z.input<typeof ZReplicaReady>, ack: (r: TReplicaAck) => void) => void;
  "replica:ended": (payload: z.input<typeof ZReplicaEnded>, ack: (r: TReplicaAck) => void) => void;
}

export interface ServerToAgentEvents {
  "trial:lease": (payload: z.input<typeof ZTrialLease>, ack: (r: TLeaseAck) => void) => void;
  "trial:prune": (payload: z.input<typeof ZTrialSignal>, ack: (r: TSignalAck) => void) => void;
  "trial:stop": (payload: z.input<typeof ZTrialSignal>, ack: (r: TSignalAck) => void) => void;
  "replica:start": (payload: z.input<typeof ZReplicaStart>, ack: (r: TReplicaStartAck) => void) => void;
  "replica:stop": (payload: z.input<typeof ZReplicaStop>, ack: (r: TReplicaAck) => void) => void;
}

export const AGENT_EVENT_SCHEMAS = {
  "agent:register": ZAgentRegister,
  "agent:heartbeat": ZAgentHeartbeat,
  "agent:ready": ZAgentReady,
  "trial:metric": ZTrialMetric,
  "trial:complete": ZTrialComplete,
  "replica:ready": ZReplicaReady,
  "replica:ended": ZReplicaEnded,
} as const;

export const SERVER_EVENT_SCHEMAS = {
  "trial:lease": ZTrialLease,
  "trial:prune": ZTrialSignal,
  "trial:stop": ZTrialSignal,
  "replica:start": ZReplicaStart,
  "replica:stop": ZReplicaStop,
} as const;

export type TAgentEventName = keyof AgentToServerEvents;
export type TServerEventName = keyof ServerToAgentEvents;
