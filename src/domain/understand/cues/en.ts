import type { LanguageCues } from './types.ts';

/** English cues, on folded text (lower case, typographic quotes made ASCII). */
export const EN: LanguageCues = {
  join: [
    { re: "\\bjoin(?:ing|s)?\\b(?! us\\b| with us\\b)", example: 'We would like to join the coalition.' },
    { re: '\\bsign(?:ing|s)?(?: on| onto| up(?: to| for)?)?\\b(?! (?:in|out|into)\\b)', example: 'We wish to sign the joint statement.' },
    { re: '\\bco-?sign(?:ing|s)?\\b|\\bcounter-?sign', example: 'Our foundation is happy to co-sign the statement.' },
    { re: '\\bendors(?:e|es|ing|ement)\\b', example: 'We hereby endorse the joint statement of the coalition.' },
    { re: '\\bbecom(?:e|es|ing) (?:a |an )?(?:member|signator|part|partner|signing)', example: 'We are interested in becoming a member of the coalition.' },
    { re: "\\bbe(?:ing)? (?:added|listed|included|registered|counted|part of|among (?:the )?(?:signator|member))", example: 'We would be honoured to be part of the coalition.' },
    { re: '\\b(?:take|taking) part in (?:the )?(?:coalition|statement|network|initiative)', example: 'Our association wants to take part in the coalition.' },
    { re: '\\b(?:come|get|be|coming) on board\\b', example: 'We would love to come on board as signatories of the statement.' },
    { re: '\\badher(?:e|es|ing)\\b|\\baccession to\\b', example: 'Our organisation wishes to adhere to the joint statement.' },
    { re: '\\bmembership (?:in|of|to|application|request)\\b|\\bapply(?:ing)? (?:for|to become) (?:a )?member', example: 'Please accept our application for membership in the coalition.' },
    { re: "\\b(?:subscribe|subscribing) to the (?:joint )?(?:statement|declaration)|\\b(?:associate|align) ourselves with\\b|\\bstand behind the (?:joint )?(?:statement|declaration)", example: 'We fully subscribe to the joint statement and wish to be listed.' },
    { re: '\\bsupport(?:ing)? the (?:joint )?(?:statement|declaration)\\b|\\badd(?:ing)? our (?:voice|support|name|signature|organi[sz]ation|logo)\\b', example: 'We would like to add our voice to the joint statement.' },
  ],
  joinUs: [
    { re: '\\b(?:add|include|list|register|enrol|enroll|count|sign|put) us\\b', example: 'Please add us to the list of signatories.' },
    { re: '\\bcount us in\\b', example: 'Count us in for the joint statement!' },
    { re: '\\b(?:add|include|list|put|register|enrol|enroll|record) (?:our|the) (?:name|organi[sz]ation|signature|logo|association|centre|center|foundation|network)\\b', example: 'Kindly add our organisation to the statement.' },
    { re: '\\badd\\b[^.?!]{1,80}?\\bto (?:the |your )?(?:list|signator|statement|declaration|coalition|members)', example: 'Please add Green Valley Trust to the list of signatories.' },
  ],
  wish: [
    { re: "\\b(?:want|wants|wish|wishes|would like|'d like|would love|'d love)\\b", example: 'We would like to join the coalition.' },
    { re: "\\b(?:would|'d) be (?:glad|happy|pleased|honou?red|delighted|keen|interested|grateful|proud)\\b", example: 'We would be proud to sign the statement.' },
    { re: '\\b(?:am|are|is|were) (?:very |most )?(?:glad|happy|pleased|keen|eager|ready|interested|willing|delighted|honou?red|proud|writing)\\b', example: 'We are keen to join the coalition.' },
    { re: '\\binterest(?:ed)? in\\b|\\bhereby\\b|\\bintend(?:s)?\\b|\\bplan(?:s|ning)? to\\b|\\bhope(?:s)? to\\b|\\bseek(?:s|ing)?\\b|\\blooking forward to (?:joining|signing|becoming)', example: 'We hope to join the coalition soon.' },
    { re: '\\brequest(?:s|ing|ed)?\\b|\\bask(?:s|ing)? (?:to|for|you to|that)\\b|\\bapply(?:ing)?\\b|\\bapplication\\b', example: 'We are requesting to join the coalition as a member.' },
    { re: '\\bconfirm(?:s|ing)?\\b|\\bexpress(?:es|ing)?\\b|\\bdecided\\b|\\bdecision\\b|\\bagree(?:s|d)?\\b|\\baccept\\b|^yes\\b', example: 'Our board decided to sign the statement.' },
    { re: '\\b(?:let us|please|kindly|could you|can you|would you)\\b', example: 'Could you please sign us up for the coalition?' },
    { re: "\\bwe(?:'ll| will| shall| would|'d)\\b|\\bhappy to\\b|\\bon behalf of\\b|\\b(?:we|i) (?:are |am )?writ(?:e|ing) to\\b", example: 'On behalf of our association, we would join the coalition.' },
  ],
  object: [
    { re: '\\bcoalition\\b', example: 'We want to join the coalition.' },
    { re: '\\b(?:joint )?(?:statement|declaration)\\b', example: 'We wish to sign the statement.' },
    { re: '\\bsignator\\w*', example: 'Please list us among the signatories.' },
    { re: '\\b(?:ogp|open government(?: partnership)?)\\b', example: 'We would like to join the OGP civil society group.' },
    { re: '\\b(?:network|initiative|platform)\\b', example: 'We would like to join the network.' },
    { re: '\\bmembers?(?:hip)?\\b|\\bthe list\\b', example: 'We would like to become members.' },
  ],
  firstPerson: [
    { re: "\\b(?:we|we'?d|we'?re|our|ours|us|i|i'?d|my|me)\\b", example: 'We would like to join the coalition.' },
    { re: '\\b(?:wishes|wants|requests|would like|hereby|asks|intends|has decided)\\b', example: 'The Green Valley Trust wishes to sign the statement.' },
  ],
  readerJoins: [
    { re: '^(?:please |kindly |so |and )?(?:join|sign|endorse|co-?sign|become|support)\\b(?! (?:us|our (?:name|organi[sz]ation))\\b)', example: 'Join the coalition for clean air and sign our joint statement today!' },
    { re: "\\bif (?!we\\b|our\\b|i\\b)(?:[\\w-]+ ){1,6}(?:could|would|can|might) (?:also )?(?:sign|join|endorse|co-?sign|support)\\b|\\b(?:add|include) (?:your|idm's|the institute's) (?:name|organi[sz]ation|logo|signature)\\b|\\breply with the name of your organi[sz]ation\\b", example: 'We would be grateful if the Institute for Democracy could sign the statement and join the other organisations.' },
    { re: '\\bjoin us\\b|\\bcome (?:and )?join\\b|\\bjoin (?:our|the) (?:conference|meeting|event|webinar|session|call|workshop|training|discussion|panel|roundtable|launch|celebration|campaign|march|mailing|newsletter|petition)', example: 'Join us at our conference on open government!' },
    { re: '\\b(?:we|i) (?:would like to |are pleased to |are happy to |kindly )?(?:invite|encourage|urge) (?:you|your|all|organi[sz]ations|csos|partners|members)\\b|\\byou are (?:cordially )?(?:invited|welcome)\\b|\\b(?:welcome|feel free|invited) to join\\b|\\binvitation to (?:join|sign|endorse)\\b', example: 'We invite you to join our network and sign the charter.' },
    { re: '\\b(?:ask|asking|invite|inviting|encourage|urge|request) (?:you|your organi[sz]ation|idm|the coalition|coalition members)(?: \\w+){0,2} to (?:sign|join|endorse|support|co-?sign)', example: 'We are asking your organisation to sign our open letter.' },
    { re: '\\b(?:please|kindly)(?: (?!us\\b|me\\b|we\\b|our\\b|let\\b|allow\\b|add\\b|include\\b|list\\b|register\\b|count\\b|accept\\b)\\w+){0,2} (?:sign|join|endorse|co-?sign)\\b(?! (?:us|our|on behalf|for us)\\b)', example: 'Please sign the petition before Friday.' },
    { re: '\\b(?:review|read|check|open) (?:and|&) sign\\b|\\b(?:sign|endorse|support) (?:our|this|the attached) (?:petition|open letter|letter|call|appeal|charter|manifesto|pledge)', example: 'Would the coalition endorse our open letter to parliament?' },
  ],
  otherObject: [
    { re: "\\bjoin (?:[\\w'-]+ ){0,3}(?:conference|meeting|event|webinar|session|call|workshop|training|discussion|panel|roundtable|launch|celebration|zoom|teams|meet|forum on|debate|festival|march|protest|mailing|newsletter|group chat|whatsapp|viber|sessions|meetings|events|trainings)s?\\b", example: 'I would like to join your next meeting on the action plan.' },
    { re: '\\bas (?:an )?observers?\\b', example: 'We would like to join the coalition meetings as an observer.' },
    { re: '\\bsign(?:ing)? (?:up )?(?:for|to) (?:the |your |our )?(?:[\\w-]+ ){0,2}(?:newsletter|mailing list|updates|webinar|training|event)', example: 'We would like to sign up for the coalition newsletter.' },
  ],
  negation: [
    { re: "\\b(?:not|never|cannot|can't|won't|don't|doesn't|unable to|no longer|decided against|declin(?:e|ing))\\b", example: 'Unfortunately we cannot sign the statement this year.' },
  ],
  deliberation: [
    { re: '\\bwhether\\b|\\bif we (?:decide|choose|agree|want)\\b|\\bin case we\\b', example: 'We are discussing whether we should join the coalition.' },
    { re: '\\b(?:are|is|were|be) (?:still )?(?:considering|thinking about|discussing|deciding|weighing|exploring)\\b|\\bconsider(?:ing)? (?:joining|signing|applying|becoming|whether)\\b', example: 'Our board is considering joining the coalition.' },
    { re: '\\bbefore (?:we (?:decide|apply|commit)|deciding|applying|committing|taking (?:a|any|the) decision)\\b|\\bnot (?:yet )?(?:taken|made|reached) (?:a|any|the|our) (?:final )?decision\\b|\\b(?:not|never) (?:yet )?decided\\b|\\bhaven\'t (?:yet )?decided\\b', example: 'Before we decide to join the coalition, we have some questions.' },
    { re: '\\b(?:would like|want|wish|like) to (?:know|learn|understand|find out|ask|enquire|inquire|hear)\\b|\\b(?:more )?information (?:about|on|regarding) (?:how|what|the (?:conditions|requirements|criteria|process|procedure|steps))\\b|\\bwhat (?:would|does|will) it (?:take|mean|involve|require|entail)\\b', example: 'We would like to know how an organisation can join the coalition.' },
  ],
  conditionQuestion: [
    { re: '\\bwhat (?:are|is) the (?:conditions|requirements|criteria|procedure|process|steps)\\b|\\bhow (?:can|do|could|would|does) (?:we|an? organi[sz]ation|one|i)\\b|\\bis it possible\\b|\\bare (?:there )?any (?:conditions|requirements|fees|costs)\\b', example: 'What are the criteria to join the coalition?' },
  ],
  already: [
    { re: '\\b(?:continu|remain|stay)\\w* (?:to be )?(?:an? )?(?:active )?(?:part of|members?|signator\\w*)\\b', example: 'Our organisation of course remains a member of the coalition and a signatory of the statement.' },
    { re: '\\balready (?:a )?(?:member|signator|part of)\\w*|\\b(?:we|our organi[sz]ation) (?:have|has) (?:already )?(?:joined|signed)\\b', example: 'We are already a member of the coalition and signed the statement in 2019.' },
    { re: '\\bthank(?:s| you)(?: very much)? for (?:accepting|approving|adding|including|welcoming|confirming|your (?:invitation|confirmation|welcome))', example: 'Thank you for accepting us into the coalition and adding us to the statement.' },
    { re: "\\b(?:our|its|their) (?:current |existing |continued |ongoing )?membership\\b(?! application| request)", example: 'Our continued membership in the coalition is important to us.' },
  ],
  notRequired: [
    { re: '\\b(?:no|without) (?:prior )?membership\\b|\\bmembership\\b[^.?!;]{0,40}? (?:is|being) (?:not|no longer) (?:required|needed|necessary|a (?:condition|requirement))|\\b(?:do|does|need) not (?:need to |have to )?be (?:a )?members?\\b', example: 'The forum is open to all; no membership of the coalition is required to join the discussion.' },
  ],
  withdraw: [
    { re: '\\bwithdraw(?:ing|al|s|n)?\\b', example: 'We wish to withdraw from the coalition.' },
    { re: "\\bbe removed\\b|\\bremov(?:e|ing|al of) (?:our|the|its|my organi[sz]ation'?s?|us)\\b(?! from (?:the |your )?(?:mailing|distribution|e-?mail) list)", example: 'Please remove our name from the joint statement.' },
    { re: '\\b(?:delet|eras)(?:e|ing) (?:our|the|its) (?:name|organi[sz]ation|signature|logo)', example: 'Please delete our organisation from the list of signatories.' },
    { re: '\\btake (?:our|its) (?:name|signature|organi[sz]ation) (?:off|out|down)|\\btake us (?:off|out)|\\bdelist', example: 'Please take our name off the statement.' },
    { re: '\\bno longer (?:wish|want|be|remain|able|in a position|support|endorse|consider ourselves)', example: 'We no longer wish to be part of the coalition.' },
    { re: '\\bleav(?:e|ing) the (?:coalition|network|statement|initiative|platform)|\\b(?:exit(?:ing)?|quit(?:ting)?|resign(?:ing)?) (?:from )?the (?:coalition|network|statement|initiative|platform)|\\bpull(?:ing)? out of (?:the )?(?:coalition|statement|network|initiative)', example: 'Our association is leaving the coalition.' },
    { re: "\\b(?:suspend|paus|cancel|retract|revok|freez|discontinu|terminat|end)\\w* (?:[\\w']+ ){0,2}(?:participation|membership|signature|endorsement|support|involvement)", example: "Our board decided to suspend the organisation's participation in the coalition." },
    { re: '\\bstep(?:ping)? (?:down|back|out) from\\b|\\bopt(?:ing)? out of the (?:coalition|statement)', example: 'We are stepping back from the coalition.' },
    { re: '\\bremov(?:e|ing) [^.?!]{1,120}? from (?:the |your )?(?:list of (?:signator|member)|signator|joint statement|statement|declaration|coalition|members)|\\btake [^.?!]{1,60}? off (?:the |your )?(?:list|statement|declaration|signator)', example: 'Please remove the Youth Forum from the list of signatories.' },
    { re: '\\b(?:will|shall|do|does) not (?:continue|remain|stay) (?:as |to be )?(?:a |an |part )?(?:of the )?(?:member|signator|part|coalition)', example: 'The Centre will not remain a member of the coalition.' },
  ],
  withdrawNot: [
    { re: '\\bremove me\\b|\\bunsubscrib|\\bmy (?:e-?mail|address)\\b|\\bmailing list\\b|\\bdistribution list\\b|\\bnewsletter\\b', example: 'Please remove me from the coalition mailing list.' },
    { re: '\\bcorrect(?:ion|ed|ly)?\\b|\\bmisspel|\\btypo\\b|\\bspelling\\b', example: 'Please correct the spelling of our name in the statement and remove the typo.' },
    { re: '\\bwithdraw(?:ing|n)? (?:the|a|their|its) (?:law|bill|draft|proposal|funds?|money|application for funding)', example: 'We urge the government to withdraw the draft law.' },
  ],
};
