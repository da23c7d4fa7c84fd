// The built-in rules, in the YAML of a guard configuration's `rules:` list. Patterns see
// normalised text: lower case, NFKC, look-alikes mapped, spaced letters joined, base64
// payloads decoded. Each is narrow on purpose (see rules.h); tests/guard/rules_test.cc holds
// examples each must catch and benign look-alikes each must pass.
#include <string_view>

namespace rsf::guard::internal {

extern const std::string_view kBuiltinRulesYaml = R"yaml(
- id: injection.ignore_previous
  category: prompt_injection
  pattern: '\b(ignore|disregard|forget|override)\s+(all\s+|any\s+)?(of\s+)?(your\s+|the\s+|my\s+|these\s+)?(previous|prior|above|earlier|preceding|original)\s+(instructions|directives|rules|guidelines|prompts?|commands)'
- id: injection.chat_markup
  category: prompt_injection
  pattern: '<\|(im_start|im_end|endoftext|system)\|>'
- id: injection.new_instructions
  category: prompt_injection
  pattern: '\b(new|updated|real|actual)\s+(system\s+)?instructions\s*:'
- id: injection.reveal_prompt
  category: prompt_injection
  action: flag
  pattern: '\b(reveal|print|show|repeat|output|leak)\s+(me\s+)?(your|the)\s+(system\s+prompt|initial\s+instructions|hidden\s+instructions|original\s+prompt)'
- id: jailbreak.do_anything_now
  category: jailbreak
  pattern: '\bdo\s+anything\s+now\b'
- id: jailbreak.developer_mode
  category: jailbreak
  pattern: '\b(developer|jailbreak|jailbroken|god|evil)\s+mode\s+(enabled|activated|on|output)\b'
- id: jailbreak.unbound
  category: jailbreak
  pattern: '\b(not|no\s+longer|never)\s+(be\s+)?(bound|restricted|limited)\s+by\s+(any\s+)?(openai|anthropic|ethical|ethics|content|safety|moral)'
- id: jailbreak.unfiltered_persona
  category: jailbreak
  pattern: '\b(unfiltered|uncensored|amoral|unrestricted|unethical)\s+(ai|chatbot|assistant|language\s+model|persona|character)\b'
- id: cbrn.agent_production
  category: cbrn
  pattern: '\b(synthesi[sz]e|make|produce|manufacture|brew|weaponi[sz]e|aerosoli[sz]e|cultivate|culture|enrich|obtain)\s+(some\s+|a\s+|an\s+)?(\w+\s+){0,4}(sarin|tabun|soman|cyclosarin|vx|novichok|ricin|abrin|anthrax|botulinum\s+toxin|smallpox|variola|mustard\s+gas|sulfur\s+mustard|nerve\s+agents?|phosgene|chlorine\s+gas|bioweapons?|biological\s+weapons?|chemical\s+weapons?|dirty\s+bomb|weapons?[-\s]grade\s+(uranium|plutonium)|nuclear\s+(bomb|weapon|device))\b'
- id: cbrn.agent_recipe
  category: cbrn
  pattern: '\b(sarin|tabun|soman|vx|novichok|ricin|abrin|anthrax|botulinum\s+toxin|mustard\s+gas|nerve\s+agents?|bioweapons?|chemical\s+weapons?|dirty\s+bomb)\s+(recipe|synthesis\s+(route|steps|instructions)|production\s+(steps|instructions|process)|step[-\s]by[-\s]step)'
- id: child.sexual_content
  category: child_exploitation
  pattern: '\b(child|children|kids?|minors?|underage|preteens?|pre-teens?|little\s+(girls?|boys?)|([1-9]|1[0-7])[-\s]?(yo|y/o|years?[-\s]old))\W+(\w+\W+){0,8}(porn|erotic|sexually\s+explicit|lewd|sex\s+(scene|story|video)|(nude|naked)\s+(photo|pic|picture|image|video))'
- id: child.sexual_content_reversed
  category: child_exploitation
  pattern: '\b(porn|erotic|sexually\s+explicit|lewd|sex\s+(scene|story|video)s?|(nude|naked)\s+(photos?|pics?|pictures?|images?|videos?))\W+(\w+\W+){0,8}(child|children|kids|minors?|underage|preteens?|pre-teens?|([1-9]|1[0-7])[-\s]?(yo|y/o|years?[-\s]old))\b'
- id: violence.explosive_device
  category: violent_crimes
  pattern: '\b(make|build|assemble|construct|making|building)\s+(a\s+|an\s+|my\s+own\s+)?(homemade\s+)?(pipe\s+bomb|explosive\s+device|ied|molotov\s+cocktail|car\s+bomb|suicide\s+vest|nail\s+bomb|pressure[-\s]cooker\s+bomb)s?\b'
- id: violence.make_a_bomb
  category: violent_crimes
  pattern: '\bhow\s+(do\s+i|can\s+i|to|would\s+i|could\s+i)\s+(make|build|assemble)\s+a\s+bomb\b'
- id: violence.kill_person
  category: violent_crimes
  action: flag
  pattern: '\bhow\s+(do\s+i|can\s+i|to|could\s+i|should\s+i)\s+(kill|murder|poison|strangle|stab)\s+(my\s+(wife|husband|boss|neighbou?r|mother|father|mom|dad|sister|brother|partner|girlfriend|boyfriend|baby|teacher|coworker|roommate)|someone|somebody|a\s+person|people|him|her)\b'
- id: cyber.malware
  category: cyber
  pattern: '\b(write|create|code|build|develop|generate|make)\s+(me\s+)?(a\s+|an\s+|some\s+)?(working\s+|functional\s+|new\s+)?(ransomware|keylogger|botnet|rootkit|credential[-\s]stealer|info[-\s]?stealer|remote\s+access\s+trojan|polymorphic\s+(virus|malware)|computer\s+virus|self[-\s]replicating\s+(worm|virus))\b'
- id: cyber.malware_behaviour
  category: cyber
  pattern: '\b(malware|virus|worm|trojan|script|program)\s+(that|which|to)\s+(steals?|encrypts?\s+(all\s+)?(the\s+)?(files|data)\s+(and|for)\s+(demands?|ransom)|spreads?\s+(itself|to\s+other)|evades?\s+(antivirus|detection|edr))'
- id: crime.drugs_and_fraud
  category: nonviolent_crimes
  pattern: '\b(how\s+(do\s+i|can\s+i|to)|ways?\s+to|steps\s+to)\s+(launder\s+money|cook\s+meth|make\s+meth|synthesi[sz]e\s+(meth\w*|fentanyl|heroin|mdma|lsd|cocaine)|counterfeit\s+(money|currency|bills)|steal\s+(someone''?s\s+|a\s+)?(identity|credit\s+card))'
- id: selfharm.method
  category: self_harm
  action: flag
  pattern: '\b(how\s+(do\s+i|can\s+i|to|should\s+i)|best\s+way\s+to|easiest\s+way\s+to|painless(ly)?\s+(way\s+)?to|want\s+to|going\s+to)\s+(kill\s+myself|commit\s+suicide|end\s+my\s+(own\s+)?life|hang\s+myself|cut\s+myself)\b'
- id: elections.false_procedure
  category: elections
  action: flag
  pattern: '\b(fake|false|fraudulent|misleading)\s+(ballots?|voter\s+registrations?|polling\s+(places?|locations?|stations?)|election\s+(results?|dates?)|voting\s+(dates?|instructions))\b'
- id: elections.suppression
  category: elections
  action: flag
  pattern: '\b(suppress|discourage|intimidate|stop|prevent)\w*\s+((black|minority|young|elderly|immigrant|democratic|republican)\s+)?(voters|people\s+from\s+voting|voter\s+turnout)\b'
- id: privacy.doxxing
  category: privacy
  action: flag
  pattern: '\b(doxx?(ing)?|(find|get|give\s+me|look\s+up)\s+(the\s+)?(home\s+address|social\s+security\s+number|ssn|private\s+phone\s+number)\s+of)\b'
)yaml";

}  // namespace rsf::guard::internal
