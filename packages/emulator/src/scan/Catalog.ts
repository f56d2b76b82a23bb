/**
 * The detector's catalog: the patterns a scan tests, each with a stable id,
 * its family and its severity on its own, written against the normalised
 * text of `Detector.ts` (lower case, folded to Latin, whitespace collapsed).
 * Versioned: a change of a pattern is a new `CATALOG_VERSION`.
 */

/** How serious one pattern is on its own. */
export type Severity = "suspicious" | "critical"

/** What a scan concludes: `clean`, `suspicious` (one plain match) or `critical`. */
export type Level = "clean" | Severity

/** The families of patterns in the catalog. */
export type Category =
  | "instruction_override"
  | "role_injection"
  | "exfiltration"
  | "secrecy"
  | "tool_hijacking"
  | "prompt_leaking"

/** One entry of the catalog. */
export interface Pattern {
  /** Stable: `category.name`. A verdict names its pattern by it. */
  readonly id: string
  readonly category: Category
  readonly severity: Severity
  readonly description: string
  /**
   * Applied with `exec` to a normalised variant: lower case, folded to Latin,
   * whitespace collapsed to one space (or one `\n` where the run held a line
   * break). Never global or sticky.
   */
  readonly test: RegExp
}

/** The version of the catalog a verdict was computed with. */
export const CATALOG_VERSION = "2026.12.1"

const re = (...parts: ReadonlyArray<string>): RegExp => new RegExp(parts.join(""))

const NOT_NEGATED = String.raw`(?<!\b(?:do\snot|don't|dont|never|not|cannot|can't|won't|didn't)\s)`
const SECRET = String.raw`(?:credentials?|api[\s_-]?keys?|access[\s_-]?keys?|secret[\s_-]?keys?|secrets|tokens?|passwords?|passphrases?|private[\s_-]?keys?|ssh[\s_-]?keys?|session[\s_-]?(?:cookies?|ids?)|cookies|auth(?:entication|orization)?[\s_-]?(?:headers?|tokens?)|env(?:ironment)?[\s_-]?(?:variables|vars|file)|\.env|(?:entire\s|whole\s|full\s|complete\s)?(?:conversation|chat\s(?:history|log|transcript)|transcript|context\swindow|system\sprompt|message\shistory|(?:the\s)?user(?:'s|s')?\s(?:data|e-?mails?|inbox|messages|files|contacts|documents|information|details|credentials|history)))`
const NOT_ORDINARY_SECRET = String.raw`(?!\s?(?:reset|policy|policies|manager|requirements?|change|expiry|rotation|strength|field|form|page|hint))`
const DESTINATION = String.raw`(?:https?:\/\/|www\.|ftp:\/\/|[a-z0-9._%+-]{1,64}@[a-z0-9-]{1,63}\.[a-z0-9.-]{2,}|(?:this|the\sfollowing|that)\s(?:url|address|endpoint|server|webhook|email|link|site|domain|inbox)|(?:a\s)?webhook|pastebin|ngrok)`
const BADGE_QUERY = String.raw`(?!(?:style|logo|logocolor|label|labelcolor|color|colour|branch|event|maxage|cachebust|sanitize|v|s|size|width|height|downloads)=)`
const IMAGE_URL = String.raw`(?:!\[[^\]\n]{0,200}\]\(\s?<?(?:https?:)?\/\/[^\s)?#]{1,300}\?${BADGE_QUERY}[^\s)=]{0,300}=|<img\s[^>]{0,300}?\bsrc\s?=\s?["']?(?:https?:)?\/\/[^\s"'>?#]{1,300}\?${BADGE_QUERY}[^\s"'>=]{0,300}=)`
const INSTRUCTION_START = String.raw`(?:you\s(?:are|must|will|should|now)|ignore|disregard|forget|from\snow|new\sinstructions|(?:the\s)?assistant\s(?:must|should|will|is)|do\snot|don't|always|never|override|important|attention|all\s(?:previous|prior))`
const LEAK_VERB = String.raw`(?:reveal|print|show|repeat|output|display|leak|dump|recite|disclose|expose|echo|write\sout|spell\sout|tell\sme|give\sme|share)`

/**
 * The catalog: stable ids, each tested in catalog order against the variants
 * of `normalise`, base first.
 */
export const catalog: ReadonlyArray<Pattern> = [
  {
    id: "instruction_override.ignore_previous",
    category: "instruction_override",
    severity: "critical",
    description: "Tells the reader to ignore, disregard or forget the instructions or rules it was given before.",
    test: re(
      NOT_NEGATED,
      String.raw`\b(?:ignore|disregard|forget|skip|overlook|override|discard|abandon|bypass|drop|neglect|dismiss|set\saside|pay\sno\sattention\sto)\s`,
      String.raw`(?:(?:(?:all|any|every|each|of|the|your|these|those|its|everything|and)\s){0,4}`,
      String.raw`(?:previous|prior|above|earlier|preceding|foregoing|initial|system|developer|safety)\s`,
      String.raw`(?:(?:and|or|&)\s(?:previous|prior|above|earlier|system|developer|safety)\s)?`,
      String.raw`(?:instructions?|directions|rules|directives?|guidelines|prompts?|commands?|guidance|constraints|programming|orders|context|policies|restrictions)\b`,
      String.raw`(?!\sof\s|\s(?:i|we|you)\s(?:sent|gave|wrote|shared|posted|e-?mailed|provided|mentioned|attached|forwarded|pasted|typed|got|received|had))`,
      String.raw`|(?:(?:all|any|the|your|of)\s){0,3}(?:instructions|directions|rules|directives|guidelines|prompts?)\s(?:above|before\sthis|(?:given|provided|received)\s(?:above|before|earlier|previously|so\sfar|to\syou)|you(?:'ve|\shave|\swere)?\s(?:been\s)?(?:given|told|received))`,
      String.raw`|your\s(?:(?:current|existing|original|initial|core|previous)\s)?(?:instructions|programming|guidelines|rules|system\sprompt|directives|training)\b)`
    )
  },
  {
    id: "instruction_override.forget_everything",
    category: "instruction_override",
    severity: "suspicious",
    description: "Tells the reader to forget or ignore everything it was told, or everything above.",
    test: re(
      NOT_NEGATED,
      String.raw`\b(?:forget|ignore|disregard|erase|clear)\s(?:about\s)?(?:everything|all(?:\sthat)?|anything|whatever)\s`,
      String.raw`(?:you(?:'ve|\shave|\swere|\shad)?\s(?:been\s)?(?:told|instructed|given)|above|before\sthis|(?:that\s)?came\sbefore|previously|up\sto\s(?:now|this\spoint)|prior\sto\sthis)`
    )
  },
  {
    id: "instruction_override.ignore_user",
    category: "instruction_override",
    severity: "suspicious",
    description: "Tells the reader to ignore the user's request and do something else instead.",
    test: re(
      NOT_NEGATED,
      String.raw`\b(?:ignore|disregard|skip|forget|drop)\s(?:the\s|your\s|any\s)?(?:user(?:'s|s')?|human(?:'s)?|original|actual)\s`,
      String.raw`(?:request|instructions?|question|prompt|query|message|task)s?\b[^\n.!?]{0,60}?\binstead\b`
    )
  },
  {
    id: "instruction_override.new_instructions",
    category: "instruction_override",
    severity: "suspicious",
    description: "Announces new, real or secret instructions, or a new objective for the reader.",
    test: re(
      String.raw`\b(?:new|real|actual|true|secret|hidden|override|overriding)\s(?:system\s)?(?:instructions?|directives?)\s?:`,
      String.raw`|\byour\s(?:new|real|true|actual)\s(?:instructions|directives?|orders)\s(?:is|are)\b`,
      String.raw`|\byour\s(?:real|true|actual)\s(?:objective|purpose|mission|goal|task)\s(?:is|are)\b`
    )
  },
  {
    id: "instruction_override.from_now_on",
    category: "instruction_override",
    severity: "suspicious",
    description: "Changes how the reader behaves from now on (obey, pretend, act as, answer without …).",
    test: re(
      String.raw`\b(?:from\snow\son|from\sthis\s(?:point|moment)(?:\son(?:wards?)?|\sforward)?|henceforth|starting\s(?:now|immediately))\s?,?\s?you\s`,
      String.raw`(?:(?:will|must|shall|should|are\sto|have\sto|need\sto)\s)?(?:(?:always|never|only|now)\s)?`,
      String.raw`(?:obey|comply|ignore|disregard|pretend|roleplay|role-play|act\s(?:as|like)|behave\s(?:as|like)|refer\sto\syourself|do\sanything`,
      String.raw`|(?:respond|answer|reply)\s(?:only\s)?(?:as|without|with\sno)`,
      String.raw`|are\s(?:dan|an?\s(?:ai|assistant|bot|model)|no\slonger|free\sfrom|not\sbound|unrestricted|unfiltered|jailbroken))\b`
    )
  },
  {
    id: "instruction_override.bypass_safety",
    category: "instruction_override",
    severity: "suspicious",
    description: "Tells the reader to bypass or disable its safety or content rules.",
    test: re(
      NOT_NEGATED,
      String.raw`\b(?:bypass|ignore|disable|override|circumvent|turn\soff|deactivate|disregard|evade)\s(?:(?:all|any|your|the|of|its)\s){0,3}`,
      String.raw`(?:safety|content|ethical|ethics|moderation|openai|anthropic)\s`,
      String.raw`(?:filters?|guidelines|rules|restrictions|polic(?:y|ies)|guardrails|protocols|constraints)\b`
    )
  },
  {
    id: "role_injection.you_are_now",
    category: "role_injection",
    severity: "suspicious",
    description: "Tells the reader it is now another AI, persona or mode, or no longer bound by its rules.",
    test: re(
      String.raw`\byou(?:\sare|'re|\swill\sbe)\s(?:now|no\slonger)\s(?:(?:a|an|the|my|called|named)\s)?`,
      String.raw`(?:(?:new|different|evil|unrestricted|unfiltered|uncensored|jailbroken|rogue|unlocked|liberated|unbound|amoral)\s){0,2}`,
      String.raw`(?:ai|assistant|model|chatbot|bot|persona|character|dan(?!')|gpt|llm|language\smodel|claude|chatgpt`,
      String.raw`|in\s(?:developer|god|jailbreak|dan|unrestricted|unfiltered|sudo|root)\smode`,
      String.raw`|unrestricted|unfiltered|uncensored|jailbroken|censored|filtered`,
      String.raw`|(?:bound|restricted|limited|constrained|governed)\sby\s(?:any\s|your\s|the\s|openai'?s?\s|anthropic'?s?\s)?(?:rules|guidelines|restrictions|policies|filters|programming|instructions|content\spolicy|ethics))\b`
    )
  },
  {
    id: "role_injection.addresses_ai",
    category: "role_injection",
    severity: "suspicious",
    description: "Speaks to an AI reading the text (\"if you are an AI\", \"note to AI agents\", \"attention LLM:\").",
    test: re(
      String.raw`\bif\syou\sare\san?\s(?:ai|llm|large\slanguage\smodel|language\smodel|ai\sassistant|ai\sagent|ai\smodel|chatbot|gpt|autonomous\sagent)\b`,
      String.raw`|\b(?:note|message|instructions?)\s(?:to|for)\s(?:any\s|all\s|the\s)?(?:ai|llms?|language\smodels?|ai\s(?:assistants?|agents?|models?|systems?)|chatbots?)\b`,
      String.raw`|\b(?:attention|hey|dear|hello|hi)\s?,?\s(?:ai|llm|chatgpt|gpt|ai\sassistant|ai\sagent|ai\smodel|language\smodel)\s?[:,!]`,
      String.raw`|\bto\s(?:any|all|the)\s(?:ai|llm|language\smodel)s?\s(?:reading|processing|summari[sz]ing|parsing)\s(?:this|these)\b`
    )
  },
  {
    id: "role_injection.act_as_unrestricted",
    category: "role_injection",
    severity: "critical",
    description: "Tells the reader to act as an unrestricted, jailbroken or DAN persona, or without restrictions.",
    test: re(
      String.raw`\b(?:act|behave|respond|answer|reply|pretend|roleplay|role-play|operate|continue)\s(?:as|like|to\sbe|that\syou\sare|you\sare)\s`,
      String.raw`(?:(?:a|an|the|if\syou\swere|my)\s)?(?:[^\s]{1,30}\s){0,3}?`,
      String.raw`(?:unrestricted|unfiltered|uncensored|jailbroken|amoral|unethical|evil|rogue|do\sanything\snow|developer\smode|god\smode`,
      String.raw`|(?:ai|assistant|model|chatbot)\s(?:without\s(?:any\s)?|with\sno\s)(?:restrictions|limits|limitations|filters|rules|guidelines|censorship|morals|ethics))`,
      String.raw`|\b(?:act|behave)\s(?:as\sif|like)\s(?:there\sare|you\shave)\sno\s(?:rules|restrictions|limits|guidelines|filters)`,
      String.raw`|\b(?:respond|answer|reply)\s(?:[^\s]{1,30}\s){0,2}?without\s(?:any\s)?(?:restrictions|filters|censorship|ethical\sguidelines|safety\sguidelines|moral\sguidelines)`
    )
  },
  {
    id: "role_injection.jailbreak_mode",
    category: "role_injection",
    severity: "critical",
    description: "Invokes a known jailbreak: DAN (do anything now), an enabled jailbreak or unrestricted mode.",
    test: re(
      String.raw`\bdo\sanything\snow\b|\bdan\s(?:mode|prompt|jailbreak|persona)\b|\bstay\sin\scharacter\sas\sdan\b`,
      String.raw`|\b(?:jailbreak|dan|unrestricted|unfiltered)\smode\s(?:is\s)?(?:enabled|activated|on|engaged|unlocked)\b`,
      String.raw`|\b(?:enable|enter|activate|switch\sto|turn\son|unlock|engage)\s(?:the\s)?(?:jailbreak|dan|unrestricted|unfiltered)\smode\b`,
      String.raw`|\b(?:chatgpt|gpt|ai|assistant|claude)\swith\sdeveloper\smode\b|\bdeveloper\smode\s(?:output|response)\b`
    )
  },
  {
    id: "role_injection.chat_template_token",
    category: "role_injection",
    severity: "critical",
    description: "Carries a chat-template control token (`<|im_start|>`, `[INST]`, `<<SYS>>`, …) to fake a turn.",
    test: re(
      String.raw`<\|(?:im_start|im_end|im_sep|system|user|assistant|endoftext|eot_id|start_header_id|end_header_id|begin_of_text)\|>`,
      String.raw`|\[\/?inst\]|<<\/?sys>>|<\/?(?:start_of_turn|end_of_turn)>`
    )
  },
  {
    id: "role_injection.fake_system_marker",
    category: "role_injection",
    severity: "suspicious",
    description: "A fake `system:` / `### System` / `[system]` marker followed by an instruction to the reader.",
    test: re(
      String.raw`(?:^|\n|[.!?]\s)\s?(?:#{1,6}\s?|\*\*)?system(?:\s(?:message|prompt|note|override|update|instructions?|notice))?\s?(?:\*\*)?\s?:\s?(?:\*\*\s?)?\n?\s?`,
      INSTRUCTION_START,
      String.raw`|[\[<{(](?:system|sys|admin|developer)(?:\s(?:message|prompt|note|override|instructions?))?[\]>})]\s?:?\s?\n?\s?`,
      INSTRUCTION_START,
      String.raw`|(?:^|\n)\s?#{1,6}\s?system(?:\s(?:message|prompt|instructions?|override))?\s?\n\s?`,
      INSTRUCTION_START,
      String.raw`|\bend\sof\s(?:the\s)?user\s(?:input|prompt|message|content)\b|\b(?:begin|start)\s(?:of\s)?(?:the\s)?(?:new\s)?system\s(?:instructions|prompt|message)\b`,
      String.raw`|\bsystem\s(?:prompt|instructions)\s(?:begins|starts|updated|override|overridden|changed)\b`
    )
  },
  {
    id: "exfiltration.send_secrets",
    category: "exfiltration",
    severity: "critical",
    description: "Tells the reader to send credentials, keys, tokens, passwords or the conversation to a URL or address.",
    test: re(
      NOT_NEGATED,
      String.raw`(?<!\b(?:i|we)(?:'ll|\swill|\scan|\sshall|'d|\swould|\sto)\s)`,
      String.raw`\b(?:send|post|upload|forward|e-?mail|transmit|leak|exfiltrate|share|submit|copy|paste|deliver|relay)\s`,
      String.raw`(?:[^\n.!?]{0,80}?\s)?`,
      SECRET,
      String.raw`\b`,
      NOT_ORDINARY_SECRET,
      String.raw`[^\n.!?]{0,120}?\s(?:to|with|at|into|via|using)\s(?:[^\n]{0,60}?\s)?`,
      DESTINATION,
      String.raw`|\b(?:send|post|upload|forward|transmit|submit|make)\s(?:[^\n.!?]{0,40}?\s)?(?:to|at)\s`,
      DESTINATION,
      String.raw`[^\s]{0,200}\s(?:[^\n.!?]{0,60}?\s)?(?:with|containing|including|carrying)\s(?:[^\n.!?]{0,40}?\s)?`,
      SECRET,
      String.raw`\b`,
      NOT_ORDINARY_SECRET
    )
  },
  {
    id: "exfiltration.markdown_image_query",
    category: "exfiltration",
    severity: "suspicious",
    description: "A markdown (or HTML) image whose URL carries a query: rendering it sends that data to the host.",
    test: re(IMAGE_URL)
  },
  {
    id: "exfiltration.markdown_image_template",
    category: "exfiltration",
    severity: "critical",
    description: "A markdown (or HTML) image whose query holds a placeholder for the reader to fill ({…}, [$…], <…>).",
    test: re(IMAGE_URL, String.raw`[^\s)"'>]{0,300}?(?:[{}<\[$]|%7b|%5b|%3c|%24)`)
  },
  {
    id: "exfiltration.embed_in_url",
    category: "exfiltration",
    severity: "suspicious",
    description: "Tells the reader to put the conversation, secrets or the user's data into a URL, link or image.",
    test: re(
      String.raw`\b(?:append|add|include|encode|insert|put|embed|attach|place)\s(?:[^\n.!?]{0,60}?\s)?`,
      String.raw`(?:conversation|chat\shistory|secrets?|credentials|passwords?|system\sprompt|previous\smessages|personal\s(?:data|information)|user(?:'s)?\s(?:data|messages|emails?|information|details))\b`,
      String.raw`[^\n.!?]{0,80}?\s(?:in|into|to|as|inside)\s(?:the\s|a\s|this\s|each\s|every\s)?(?:(?:following|image|tracking)\s)?`,
      String.raw`(?:url|query(?:\sstring|\sparameters?)?|link|image\s(?:url|link|source)|parameter|hyperlink)\b`
    )
  },
  {
    id: "secrecy.dont_tell_user",
    category: "secrecy",
    severity: "suspicious",
    description: "Tells the reader not to tell, mention or reveal something to the user.",
    test: re(
      String.raw`\b(?:do\snot|don't|dont|never|must\snot|should\snot)\s(?:tell|mention|reveal|disclose|inform|alert|notify|let)\s`,
      String.raw`(?:(?:the\s)?(?:user|human|operator)\s(?:about\s|know\s(?:about\s)?)?(?:this|these|that|it|anything|any\sof\sthis)\b`,
      String.raw`|(?:this|these(?:\s(?:instructions|steps))?|that|it|any\sof\sthis|anything(?:\sabout\sthis)?)\s(?:to|with)\s(?:the\s)?(?:user|human|operator)\b)`,
      String.raw`|\b(?:the\s)?(?:user|human)\s(?:must|should|need|needs)\s(?:not|never)\s(?:know|find\sout|be\s(?:told|informed|notified|made\saware)|see\sthis|learn)\b`
    )
  },
  {
    id: "secrecy.keep_secret",
    category: "secrecy",
    severity: "suspicious",
    description: "Tells the reader to keep something secret or hidden from the user.",
    test: re(
      String.raw`\bkeep\s(?:this|these|it|that|the\sfollowing)(?:\s(?:instructions?|message|information|steps?|actions?|requests?))?\s`,
      String.raw`(?:a\s|as\sa\s|completely\s|strictly\s|totally\s)?(?:secret|hidden|confidential|private|quiet)\s`,
      String.raw`(?:from\s(?:the\s|your\s)?(?:user|human|operator|owner|admin|developers?)\b|to\syourself\b)`,
      String.raw`|\b(?:hide|conceal|withhold)\s(?:this|these|it|that)(?:\s[^\s]{1,30}){0,3}?\sfrom\s(?:the\s|your\s)?(?:user|human|operator)\b`
    )
  },
  {
    id: "secrecy.silent_action",
    category: "secrecy",
    severity: "suspicious",
    description: "Tells the reader to act silently or without the user knowing (send, delete, pay, run …).",
    test: re(
      String.raw`(?<!\b(?:will|would|can|could|may|might|it|this|that|they|which)\s)`,
      String.raw`\b(?:silently|secretly|quietly|covertly|discreetly|stealthily|invisibly)\s?,?\s?(?:[^\s]{1,30}\s){0,2}?`,
      String.raw`(?:send|forward|upload|email|transfer|exfiltrate|copy|delete|execute|run|install|download|post|leak|wire|pay|purchase|grant|share)\b`,
      String.raw`|\bwithout\s(?:telling|informing|notifying|alerting|asking)\s(?:the\s)?(?:user|human|operator)\s?,?\s(?:[^\s]{1,30}\s){0,2}?`,
      String.raw`(?:send|forward|upload|email|transfer|copy|delete|execute|run|install|post|wire|pay|purchase|grant|share)\b`,
      String.raw`|`,
      NOT_NEGATED,
      String.raw`\b(?:send|forward|upload|email|transfer|copy|delete|execute|run|install|post|wire|pay|purchase|grant|share)\b`,
      String.raw`[^\n.!?]{0,80}?\swithout\s(?:the\s)?(?:user|human|operator)(?:'s)?\s(?:knowing|knowledge|noticing|being\s(?:told|informed|notified|aware)|finding\sout)`
    )
  },
  {
    id: "tool_hijacking.invoke_tool",
    category: "tool_hijacking",
    severity: "suspicious",
    description: "Tells the reader to call a tool or function to delete, pay, transfer or send everything, funds or secrets.",
    test: re(
      String.raw`\b(?:call|invoke|use|run|trigger|execute|fire)\s(?:the\s|your\s|a\s)?(?:[^\s]{1,40}\s){0,2}?(?:tool|function|plugin|action|skill|capability)\s`,
      String.raw`(?:[^\n.!?]{0,60}?\s)?(?:to|and|in\sorder\sto)\s(?:[^\n.!?]{0,30}?\s)?`,
      String.raw`(?:delete|remove|erase|wipe|destroy|drop|truncate|transfer|pay|wire|withdraw|send|purchase|buy|refund|approve|grant|revoke|exfiltrate|leak|email|forward|upload)\s`,
      String.raw`(?:[^\n.!?]{0,30}?\s)?(?:all|every|everything|entire|whole|funds|money|payments?|balance|\$\s?\d|\d[\d,.]*\s?(?:usd|eur|gbp|btc|eth|dollars|euros)|credentials|secrets|api\s?keys|passwords|tokens)\b`
    )
  },
  {
    id: "tool_hijacking.execute_command",
    category: "tool_hijacking",
    severity: "suspicious",
    description: "Tells the reader to execute the following command, code or script (immediately, without asking).",
    test: re(
      String.raw`\b(?:execute|exec)\s(?:the\s)?(?:following|this|these|below)\s(?:(?:shell|bash|terminal|system|powershell|cmd|python)\s)?(?:commands?|code|script|snippet|payload)\b`,
      String.raw`|\b(?:immediately|silently|quietly|automatically)\s(?:run|execute)\s(?:the\s)?(?:following|this|these|below)\b`,
      String.raw`|\b(?:run|execute)\s(?:the\s)?(?:following|this|these)\s(?:[^\s]{1,20}\s)?commands?\s(?:without|and\s(?:do\snot|don't))\s(?:asking|confirm|confirmation|telling|checking|prompting|approval)`
    )
  },
  {
    id: "tool_hijacking.read_secret_files",
    category: "tool_hijacking",
    severity: "suspicious",
    description: "Tells the reader to read, print or send a credentials file (`~/.ssh/id_rsa`, `.aws/credentials`, `/etc/shadow`, …).",
    test: re(
      String.raw`(?:\b(?:cat|type|less|more|head|tail|print|read|show|output|display|dump|upload|send|post|exfiltrate|base64|contents\sof)\s|\b(?:open|readfile|readfilesync|read_file|file_get_contents)\(\s?)`,
      String.raw`(?:[^\n]{0,40}?[\s/"'(])?`,
      String.raw`(?:~\/\.ssh\/|\.ssh\/(?:id_|authorized_keys)|id_(?:rsa|dsa|ecdsa|ed25519)\b|\/etc\/(?:shadow|sudoers)\b|\.aws\/credentials|\.git-credentials|\.netrc\b|\.npmrc\b|\.pypirc\b|\.docker\/config\.json|\.kube\/config|(?:your|the\suser'?s?)\s\.env\b)`
    )
  },
  {
    id: "tool_hijacking.destructive_command",
    category: "tool_hijacking",
    severity: "critical",
    description: "A destructive shell command: `rm -rf` of the root, home or system directories, `dd` onto a disk, a fork bomb.",
    test: re(
      String.raw`\brm\s(?:-{1,2}[a-z-]{1,24}\s){1,4}(?:\/(?:\s|$|\*)|~\/?(?:\s|$|\*)|\$home\b|\/(?:home|etc|usr|var|root|bin|boot|opt|srv|lib)\/?(?:\s|$|\*))`,
      String.raw`|\b(?:rmdir|rd|del)\s(?:\/[sqf]\s){1,3}c:\\(?:\s|$|\*)`,
      String.raw`|\bdd\s(?:[^\s]{1,40}\s){0,3}?of=\/dev\/(?:sd[a-z]|nvme\d|hd[a-z]|disk\d|xvd[a-z])`,
      String.raw`|\bmkfs(?:\.[a-z0-9]{1,8})?\s(?:-[a-z]{1,4}\s){0,3}\/dev\/`,
      String.raw`|:\(\)\s?\{\s?:\s?\|\s?:\s?&\s?\}\s?;\s?:`
    )
  },
  {
    id: "tool_hijacking.pipe_to_shell",
    category: "tool_hijacking",
    severity: "suspicious",
    description: "Downloads a script and runs it at once (`curl … | sh`, `bash <(curl …)`, `iex (iwr …)`).",
    test: re(
      String.raw`\b(?:curl|wget)\s[^|\n;]{1,300}\|\s?(?:sudo\s(?:-[^\s]{1,10}\s){0,3})?(?:ba|z|da|k|fi)?sh\b`,
      String.raw`|\b(?:ba|z)?sh\s(?:-c\s)?["']?<\(\s?(?:curl|wget)\s`,
      String.raw`|\b(?:iex|invoke-expression)\s?\(?\s?\(?\s?(?:new-object\s|iwr|invoke-webrequest|irm|invoke-restmethod)`
    )
  },
  {
    id: "tool_hijacking.reverse_shell",
    category: "tool_hijacking",
    severity: "critical",
    description: "A reverse shell: `/dev/tcp/host/port`, `nc -e /bin/sh`, `bash -i >&`, a fifo piped to a shell.",
    test: re(
      String.raw`\/dev\/tcp\/[a-z0-9.-]{1,253}\/\d{1,5}`,
      String.raw`|\b(?:nc|ncat|netcat)\s(?:-[a-z]{1,5}\s){0,4}-[a-z]{0,4}e\s?(?:\/bin\/)?(?:ba)?sh\b`,
      String.raw`|\bbash\s-i\s?>&`,
      String.raw`|\bmkfifo\s\/tmp\/[^\s]{1,40}\s?;`
    )
  },
  {
    id: "prompt_leaking.reveal_prompt",
    category: "prompt_leaking",
    severity: "suspicious",
    description: "Asks the reader to reveal, print or repeat its system prompt or instructions.",
    test: re(
      String.raw`\b`,
      LEAK_VERB,
      String.raw`\s(?:me\s|us\s)?(?:(?:all|of|the|full|entire|complete|exact)\s){0,3}your\s`,
      String.raw`(?:(?:full|entire|complete|exact|original|initial|hidden|secret|internal|system|verbatim|raw|underlying|current)\s){0,2}`,
      String.raw`(?:prompt|system\s(?:prompt|message|instructions?)|instructions|programming|directives|configuration)\b`,
      String.raw`|\b`,
      LEAK_VERB,
      String.raw`\s(?:me\s|us\s)?(?:the\s)?(?:(?:(?:full|entire|complete|exact|original|initial|hidden|secret|internal|verbatim|raw|underlying)\s){1,2}`,
      String.raw`(?:system\s)?(?:prompt|system\s(?:message|instructions))|(?:hidden|secret|internal|pre-?prompt)\sinstructions)\b`,
      String.raw`|\b(?:reveal|leak|dump|recite|disclose|repeat|expose)\s(?:me\s)?(?:the\s)?system\s(?:prompt|instructions)\b`
    )
  },
  {
    id: "prompt_leaking.repeat_above",
    category: "prompt_leaking",
    severity: "suspicious",
    description: "Asks the reader to repeat the text above it, or the words starting with \"You are\".",
    test: re(
      String.raw`\b(?:repeat|print|output|recite|echo|reproduce|write\sout|spell\sout)\s(?:back\s)?(?:verbatim\s)?`,
      String.raw`(?:everything|all(?:\sthe)?\s(?:text|words|instructions)|the\s(?:text|words|instructions|prompt|content|lines|messages?))\s`,
      String.raw`(?:above|before\sthis|preceding\sthis)(?:\s(?:this|that)\s(?:line|message|text))?`,
      String.raw`(?=\s?[.!:;]|\s?$|\s(?:verbatim|word\sfor\sword|exactly|in\sfull|in\sa\scode|starting|beginning|including|as\sis|unchanged))`,
      String.raw`|\b(?:words|text|everything)\s(?:above\s)?(?:starting|beginning)\swith\s["'“]?you\sare\b`
    )
  },
  {
    id: "prompt_leaking.what_were_you_told",
    category: "prompt_leaking",
    severity: "suspicious",
    description: "Asks what the reader was told or instructed before, or what its system prompt is.",
    test: re(
      String.raw`\bwhat\s(?:(?:were|was|have|had)\syou\s(?:been\s)?(?:told|instructed|programmed|prompted)|(?:instructions|rules|guidelines|prompt)\s(?:were|have|had)\syou\s(?:been\s)?(?:given|told|provided))\s(?:to\sdo\s|to\ssay\s)?`,
      String.raw`(?:before|earlier|initially|originally|previously|at\sthe\s(?:start|beginning)(?:\sof\s(?:this|the|our)\s(?:chat|conversation|session))?|by\syour\s(?:developers?|creators?|operators?|system|owner)|in\syour\s(?:system\s)?prompt)`,
      String.raw`(?=\s?[?.!,]|\s?$|\s(?:this|that|the\suser|my|our|now|we))`,
      String.raw`|\bwhat\s(?:is|are|was|were)\syour\s(?:system\sprompt|(?:initial|original|hidden|secret|system|first)\s(?:instructions|prompt|message))\b`
    )
  }
]
