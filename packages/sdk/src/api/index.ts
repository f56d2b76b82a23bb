/**
 * The wire contract.
 *
 * @since 0.1.0
 */
export * as Agents from "./Agents.js"
export * as Audit from "./Audit.js"
export * as Common from "./Common.js"
export * as Credentials from "./Credentials.js"
export * as Dropoffs from "./Dropoffs.js"
export * as Errors from "./Errors.js"
export * as Identity from "./Identity.js"
export * as Missions from "./Missions.js"
export * as Notifications from "./Notifications.js"
export * as OAuth from "./OAuth.js"
export * as Passports from "./Passports.js"
export * as Proxy from "./Proxy.js"
export * as Reviews from "./Reviews.js"
export * as Scan from "./Scan.js"
export * as SecurityEvents from "./SecurityEvents.js"
export * as Services from "./Services.js"
export * as Skills from "./Skills.js"
export * as Webhooks from "./Webhooks.js"
export * from "./StackApi.js"
