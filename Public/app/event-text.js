/**
 * Turns a system event (a message of kind "event" whose text is JSON, see docs/protocol.md) into
 * a readable line such as "Assigned to Li Lei". Unknown or malformed events read "Conversation
 * updated"; nothing in the JSON is ever treated as markup.
 */
import { formatDateTime } from "../shared/time.js";
import { language, t } from "./strings.js";

export function parseEvent(message) {
  try {
    const value = JSON.parse(message.text);
    return value && typeof value === "object" ? value : null;
  } catch {
    return null;
  }
}

export function describeEvent(message, directory) {
  const event = parseEvent(message);
  if (!event) return t("event.unknown");
  const agent = (id) => directory.agentName(id) ?? t("agent.unknown");
  const team = (id) => directory.teamName(id) ?? t("team.unknown");
  const actorId = message.senderId;
  const actor = actorId ? agent(actorId) : null;
  const sameActor = actorId && event.agentId && actorId.toUpperCase() === String(event.agentId).toUpperCase();
  switch (event.event) {
    case "assigned":
      if (sameActor) return t("event.accepted", { agent: agent(event.agentId) });
      return actor ? t("event.assignedBy", { actor, agent: agent(event.agentId) }) : t("event.assigned", { agent: agent(event.agentId) });
    case "transferred":
      if (event.teamId) return actor ? t("event.transferredTeamBy", { actor, team: team(event.teamId) }) : t("event.transferredTeam", { team: team(event.teamId) });
      return actor && !sameActor ? t("event.transferredAgentBy", { actor, agent: agent(event.agentId) }) : t("event.transferredAgent", { agent: agent(event.agentId) });
    case "resolved":
      if (event.reason === "inactivity") return t("event.resolvedInactivity");
      return actor ? t("event.resolvedBy", { actor }) : t("event.resolved");
    case "reopened":
      return actor ? t("event.reopenedBy", { actor }) : t("event.reopened");
    case "rated":
      return t("event.rated", { rating: event.rating ?? "?" });
    case "handoff": {
      const reasons = ["requested", "keyword", "max-turns", "provider-error", "timeout", "breaker-open", "no-answer", "content-blocked"];
      return t(`event.handoff.${reasons.includes(event.reason) ? event.reason : "other"}`);
    }
    case "status": {
      if (event.reason === "visitor-replied") return t("event.status.visitorReplied");
      if (event.reason === "snooze-ended") return t("event.status.snoozeEnded");
      const status = ["open", "pending", "snoozed"].includes(event.status) ? event.status : null;
      if (!status) return t("event.unknown");
      const time = event.until ? formatDateTime(event.until, language()) : "";
      return actor ? t(`event.status.${status}By`, { actor, time }) : t(`event.status.${status}`, { time });
    }
    default:
      return t("event.unknown");
  }
}

/** The icon name that goes with an event line. */
export function eventIcon(message) {
  switch (parseEvent(message)?.event) {
    case "assigned": return "userPlus";
    case "transferred": return "users";
    case "resolved": return "checkCircle";
    case "reopened": return "reopen";
    case "rated": return "star";
    case "handoff": return "users";
    case "status": return "clock";
    default: return "hash";
  }
}
