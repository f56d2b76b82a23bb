/**
 * @getstack/effect — the Effect SDK for STACK (getstack.run).
 *
 * @since 0.1.0
 */
export * as Agents from "./Agents.js"
export * as Api from "./api/index.js"
export * as Audit from "./Audit.js"
export * as AuditChain from "./AuditChain.js"
export * as Auth from "./Auth.js"
export * as Credentials from "./Credentials.js"
export * as Identity from "./Identity.js"
export * as Dropoffs from "./Dropoffs.js"
export * as Missions from "./Missions.js"
export * as Notifications from "./Notifications.js"
export * as Passports from "./Passports.js"
export * as Proxy from "./Proxy.js"
export * as Retry from "./Retry.js"
export * as Reviews from "./Reviews.js"
export * as Scan from "./Scan.js"
export * as SecurityEvents from "./SecurityEvents.js"
export * as Services from "./Services.js"
export * as Skills from "./Skills.js"
export * as Stack from "./Stack.js"
export * as StackClient from "./StackClient.js"
export * as StackError from "./StackError.js"
export * as Webhooks from "./Webhooks.js"
