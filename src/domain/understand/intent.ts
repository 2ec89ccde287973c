import { fold, sentences } from './text.ts';

/**
 * Does the sender ask to join (sign, endorse, be added to) the coalition or
 * its joint statement, or to be removed? Read sentence by sentence on folded
 * text (so "anëtarësohemi" and "anetaresohemi" are the same word). A sentence
 * counts when it has an intent verb AND a wish/request marker, and no cue that
 * the verb is used otherwise ("join us at our conference", "we invite you to
 * join", "remove me from the mailing list", "please correct our name").
 */

// ---- join -----------------------------------------------------------------

const JOIN_VERB_EN =
  /\b(?:join(?:ing)?\b(?! us\b| with us\b)|sign(?:ing)?(?: on| onto| up(?: to)?)?\b(?! (?:in|out)\b)|co-?sign(?:ing)?|endors(?:e|ing|ement)\b|becom(?:e|ing) (?:a |an )?(?:member|signator|part|partner|signing)|be(?:ing)? (?:added|listed|included|registered|counted|part of)|add(?:ing)? (?:our|its|the|my) (?:name|organi[sz]ation|signature|logo|support)|add(?:ing)? us\b|include us\b|list us\b|count us in|sign us up|adher(?:e|ing)\b|accession to|membership (?:in|of|to)|apply(?:ing)? (?:for|to become) (?:a )?member|(?:to )?subscribe to the (?:joint )?(?:statement|declaration)|put (?:our|its) (?:name|signature)|add\b[^.?!]{1,80}?\bto (?:the |your )?(?:list|signator|statement|declaration|coalition|members))/;
const JOIN_VERB_SQ =
  /(?:\bbashkoh(?:emi|et|en|em|esh)\b|\bt'?u bashkuar\b|\bi bashkohe(?:mi|t|n)\b|\banetaresoh(?:emi|et|en|em)\b|\bt'?u anetaresuar\b|\banetaresim(?:in|i|it)?\b|\bnenshkru(?:ajme|aje|ajne|aj|an|ar|ajte)\b|\bnenshkrimin\b|\bnenshkrim(?:i)?\b(?! te (?:ligjit|marreveshjes|kontrates))|\bader(?:ojme|oje|ojne|oj|on|uar|im|imin)\b|\bbehemi (?:pjese|anetar|nenshkrues)|\bbehet (?:pjese|anetar|nenshkruese?)|\bte jemi pjese\b|\bte perfshihe(?:mi|t)\b|\bna (?:perfshini|shtoni|listoni|rregjistroni|regjistroni)\b|\bte shtohe(?:mi|t)\b|\bshtoni (?:emrin|organizaten)|\bte listohe(?:mi|t)\b|\bmbeshtesim deklaraten|\bmbeshtetjen (?:tone|e organizates) (?:per|ndaj) deklarat|\bshtoni\b[^.?!]{1,80}?\b(?:ne|te) (?:listen|lista|nenshkrues|deklarat|koalicion))/;
const WISH_EN =
  /\b(?:want|wants|wish|wishes|would like|'d like|would love|would be (?:glad|happy|pleased|honou?red|delighted|keen|interested)|(?:am|are|is) (?:glad|happy|pleased|keen|eager|ready|interested|willing|delighted|honou?red|writing)|interest(?:ed)? in|hereby|request(?:s|ing|ed)?|ask(?:s|ing)? (?:to|for|you to|that)|apply(?:ing)?|intend(?:s)?|plan(?:s|ning)? to|confirm(?:s|ing)?|express(?:es|ing)?|decided|decision|hope(?:s)? to|seek(?:s|ing)?|let us|please|kindly|could you|can you|would you|we (?:will|shall|would)|us to|to be able to|like to|agree|accept|yes|happy to|count us|on behalf of|(?:we|i) (?:are |am )?writ(?:e|ing) to)\b/;
const WISH_SQ =
  /(?:\bdeshiro(?:jme|j|n|jne)\b|\bduam\b|\bdo te (?:donim|deshironim|ishim)\b|\bkerko(?:jme|j|n|jne)\b|\bkerkes(?:en|es|a|e)\b|\binteres(?:in|i)?\b|\bte interesuar\b|\bte gatshem\b|\bme kenaqesi\b|\bshpreh(?:im|ur|in)\b|\bkonfirmo(?:jme|j)\b|\bvendos(?:ur|i|em)\b|\bju lut(?:em|emi)\b|\blutemi\b|\bsynojme\b|\bper t'?u\b|\bper te\b|\bper t'?i\b|\bme ane te kesaj\b|\bdergojme\b|\bdua\b|\bdeshirojme\b|\bdeshira\b|\bprano(?:jme|j|n)\b|\bjemi dakord\b|\bdakord\b|^po\b[,!.]?|\b(?:qe )?te na (?:shtoni|perfshini|listoni|regjistroni|pranoni)\b|\bne emer te\b|\bju shkruaj(?:me)?\b)/;
const JOIN_NEGATIVE =
  /(?:\bjoin us\b|\bjoin (?:[\w'-]+ ){0,3}(?:conference|meeting|event|webinar|session|call|workshop|training|discussion|panel|roundtable|launch|celebration|zoom|teams|meet|online|live|forum on|debate|festival|campaign|march|protest|network of|mailing|newsletter|group chat|whatsapp|viber|sessions|meetings|events|trainings)s?\b|\bas (?:an )?observers?\b|\binvit(?:e|es|ing|ation|ed) (?:you|your|all|to|the|organi[sz]ations|csos|partners|members)\b|\byou are (?:invited|welcome)\b|\bwelcome to join\b|\bfeel free to join\b|\bjoin the (?:mailing|newsletter)|\b(?:ju )?fto(?:jme|j|n|ne)\b|\bftese\b|\bbashkohuni\b|\bte bashkoheni\b|\bte nenshkruani\b|\bte anetaresoheni\b|\bte aderoni\b|\bbehuni\b|\bte beheni\b|\bna bashkohuni\b|\bmirepresim\b|\bjoined\b|\bsigned\b(?! (?:up|by))|\balready (?:a )?(?:member|signator)|\bthank(?:s| you)(?: very much)? for (?:accepting|approving|adding|including|welcoming|confirming|your (?:invitation|confirmation|welcome))|\bfaleminderit (?:qe|per) (?:na )?(?:pranuat|shtuat|perfshite|miratuat|konfirmimin|ftesen)|\b(?:not|never|cannot|can't|won't|don't|unable to|no longer|decided against)\b(?: \w+){0,3} (?:join|sign|endorse|become|add|include|list|register|count|put)\b|\b(?:our|its|their) (?:current |existing |continued )?membership\b(?! application| request)|\b(?:for|regarding|about|concerning|related to|lidhur me|rreth)\b[^.?!]{0,40}\b(?:membership|anetaresim\w*)\b[^.?!]*\b(?:contact|write to|reach|kontakto\w*|shkruani|telefononi)\b|\bmos (?:na |e |i )?(?:shtoni|perfshini|listoni|regjistroni|nenshkruani|shtojme|perfshijme)\b|\b(?:please|kindly)(?: (?!us\b|me\b|we\b|our\b|let\b|allow\b)\w+){0,2} (?:sign|join|endorse|co-?sign)\b(?! (?:us|our|on behalf|for us)\b)|\b(?:review|read|check|open) (?:and|&) sign\b|\b(?:rishikoni (?:dhe )?)?nenshkruani\b|\banetaresohuni\b|\baderoni\b|\bnuk (?:do te |mund te |jemi ne gjendje te |deshirojme te |duam te |do t'?i )?(?:bashkohemi|bashkohet|nenshkruajme|nenshkruaje|anetaresohemi|anetaresohet|aderojme))/;
/**
 * Deliberation, conditions and information-seeking: "whether we should apply", "before deciding",
 * "we would like to know how to join", "nëse vendosim", "nuk kemi vendosur ende". The sender has
 * not said it wants to join; such a sentence is not a request.
 */
const DELIBERATION =
  /(?:\bwhether\b|\bif we (?:decide|choose|agree|want)\b|\bin case we\b|\b(?:are|is|were|be) (?:still )?(?:considering|thinking about|discussing|deciding|weighing|exploring)\b|\bconsider(?:ing)? (?:joining|signing|applying|becoming|whether)\b|\bbefore (?:we (?:decide|apply|commit)|deciding|applying|committing|taking (?:a|any|the) decision)\b|\bnot (?:yet )?(?:taken|made|reached) (?:a|any|the|our) (?:final )?decision\b|\b(?:not|never) (?:yet )?decided\b|\bhaven't (?:yet )?decided\b|\b(?:would like|want|wish|like) to (?:know|learn|understand|find out|ask|enquire|inquire|hear)\b|\b(?:more )?information (?:about|on|regarding) (?:how|what|the (?:conditions|requirements|criteria|process|procedure|steps))\b|\bwhat (?:would|does|will) it (?:take|mean|involve|require|entail)\b|\b(?:nese|ne qofte se|ne rast se|po qe se) (?:do te )?(?:vendosim|vendos|deshirojme|aplikojme|bordi)|\bpo (?:mendojme|shqyrtojme|diskutojme|konsiderojme|vleresojme)\b|\b(?:nuk|ende nuk|s'|akoma nuk) (?:e )?kemi (?:marre )?(?:vendosur|vendim)|\bpara se te (?:vendosim|aplikojme|marrim)\b|\ba duhet te\b|\bte (?:dime|dinim|mesojme|mesonim|kuptojme|kuptonim)\b|\binformacion (?:mbi|per|rreth|lidhur me) (?:si|kushtet|procedur\w*|menyren|hapat|kriteret))/;

/** A question only about conditions or the procedure does not state a wish. */
const CONDITION_QUESTION =
  /\b(?:what (?:are|is) the (?:conditions|requirements|criteria|procedure|process|steps)|how (?:can|do|could|would|does) (?:we|an? organi[sz]ation|one|i)|is it possible|are (?:there )?any (?:conditions|requirements|fees|costs)|cilat (?:jane|eshte)|si (?:mund|behet|funksionon)|a mund\b|cfare duhet|kushtet|kriteret|procedur)/;
const POLITE_REQUEST = /\b(?:could|can|would|may) (?:you|we) (?:please )?(?:add|include|list|register|sign|join|accept|count)\b|\bna (?:shtoni|perfshini|regjistroni)\b|\ba mund te na (?:shtoni|perfshini|regjistroni)\b/;

// ---- withdrawal --------------------------------------------------------------

const WITHDRAW_EN =
  /\b(?:withdraw(?:ing|al|s|n)?\b|be removed\b|remov(?:e|ing|al of) (?:our|the|its|my organi[sz]ation'?s?|us)\b(?! from (?:the |your )?(?:mailing|distribution|e-?mail) list)|take (?:our|its) (?:name|signature|organi[sz]ation) (?:off|out|down)|(?:name|signature) (?:has been |be |is )?taken (?:off|out|down)|delist|no longer (?:wish|want|be|remain|able|in a position|support|endorse|consider ourselves)|leav(?:e|ing) the (?:coalition|network|statement|initiative|platform)|(?:exit(?:ing)?|quit(?:ting)?|resign(?:ing)?) (?:from )?the (?:coalition|network|statement|initiative|platform)|delet(?:e|ing) (?:our|the|its) (?:name|organi[sz]ation|signature|logo)|take us (?:off|out)|step(?:ping)? (?:down|back|out) from|suspend(?:ing|s)? (?:our |its )?(?:participation|membership|signature|involvement)|cancel(?:l?ing|s)? (?:our |its )?(?:membership|signature|endorsement|participation)|retract(?:ing|s)? (?:our |its )?(?:signature|endorsement|support)|revok(?:e|ing) (?:our |its )?(?:signature|endorsement|membership)|opt(?:ing)? out of the (?:coalition|statement)|suspend\w*|paus(?:e|ing) (?:our |its )?(?:participation|membership|involvement|signature)|put(?:ting)? (?:our |its )?(?:membership|participation|signature) on hold|freez(?:e|ing) (?:our |its )?(?:membership|participation)|pull(?:ing)? out of (?:the )?(?:coalition|statement|network|initiative)|(?:will|shall|do|does) not (?:continue|remain|stay) (?:as |to be )?(?:a |an |part )?(?:of the )?(?:member|signator|part|coalition)|remov(?:e|ing) [^.?!]{1,120}? from (?:the |your )?(?:list of (?:signator|member)|signator|joint statement|statement|declaration|coalition|members)|take [^.?!]{1,60}? off (?:the |your )?(?:list|statement|declaration|signator)|discontinu(?:e|ing) (?:our |its )?(?:membership|participation)|terminat(?:e|ing) (?:our |its )?membership|end(?:ing)? (?:our |its )?(?:membership|participation))/;
const WITHDRAW_SQ =
  /(?:\bterhiq(?:emi|et|en|em|ni)\b|\bterheq(?:je|jen|ja|jes|im|in)\b|\bterhequr\b|\bhiq(?:ni|et|im|ur)? (?:emrin|emri|organizaten|organizata|nenshkrimin|nenshkrimi|logon|logoja)\b|\bte hiqet\b|\bheqjen e (?:emrit|organizates|nenshkrimit)\b|\bna hiqni\b|\blargohe(?:mi|t|n)\b|\blargimi(?:n)? (?:nga|e organizates|tone)|\blargimin (?:tone|e organizates)|\bpezullo\w*|\bpezullim\w*|\bnderpre(?:sim|sin|se|ase|jme|t) (?:\w+ )?(?:pjesemarrjen|anetaresimin|bashkepunimin|mbeshtetjen)|\bheq(?:im|in|e) dore nga\b|\bdal(?:im|in|e) nga (?:koalicioni|deklarata|rrjeti|lista)|\bdalje(?:n)? nga koalicion|\bnuk do te (?:jemi|mbetemi|vazhdojme|figurojme)\b|\b(?:nuk|mos) (?:do te |deshiron te |deshirojme te |duam te |mund te )?(?:te )?(?:jete|jemi|jene|mbetet|mbetemi) me (?:pjese|anetar|nenshkrues)|\bhiq\w* [^.?!]{1,120}? nga (?:lista|deklarat|koalicion|nenshkrues|rrjet)|\bte mos (?:na |e )?(?:perfshini|listoni) (?:me|organizaten|emrin)|\bnuk (?:deshirojme|duam|mund) (?:me )?te (?:jemi|mbetemi|vazhdojme|figurojme)|\banulo(?:ni|jme) (?:nenshkrimin|anetaresimin|mbeshtetjen)|\brevoko(?:jme|j)\b|\bte mos (?:jemi|figurojme|listohemi|perfshihemi)|\bfshini emrin|\bte fshihet)/;
const WITHDRAW_NEGATIVE =
  /(?:\bremove me\b|\bunsubscrib|\bmy (?:e-?mail|address)\b|\bmailing list\b|\bdistribution list\b|\bnewsletter\b|\bme hiqni\b|\bc'?regjistro|\blista e (?:postimeve|email|adresave)|\bcorrect(?:ion|ed|ly)?\b|\bmisspel|\btypo\b|\bspelling\b|\bkorrigj|\bgabim\b|\bdrejtshkrim|\bshkruar gabim|\bwithdraw(?:ing|n)? (?:the|a|their|its) (?:law|bill|draft|proposal|funds?|money|application for funding)|\bterhiq(?:et|en) (?:ligji|projektligji|draft))/;

/** Words that tie an intent to the coalition or its statement. */
const TARGET =
  /\b(?:coalition|koalicion\w*|statement|declaration|deklarat\w*|signator\w*|nenshkrues\w*|ogp|open government|qeverisje te hapur|network|rrjet\w*|initiative|nism\w*|platform\w*|membership|anetaresi\w*|the list|listen|lista\w*|members|anetar\w*)\b/;

const ATTACHMENT_POINTER = /\b(?:attach\w*|enclos\w*|bashkelidh\w*|ne shtojce|shtojc\w*|letter|shkres\w*|find (?:herewith|below))\b/;

export interface IntentScore {
  join: number;
  withdrawal: number;
  /** The sentences that counted, for the record. */
  evidence: string[];
}

/** "we", "our", "na", "tonë", a first-person verb ("tërhiqemi", "kërkojmë") or a request ("please", "ju lutem"). */
const SELF_OR_REQUEST =
  /\b(?:we|us|our|ours|i|me|my|ne|na|neve|tone|jone|yne|sone|tona|tane|une|mua|im|ime|please|kindly|request\w*|ask\w*|wish\w*|want\w*|would like|intend\w*|decided|ju lutem|lutemi|kerkes\w*)\b|\b\p{L}+(?:jme|emi|ojme|uam)\b/u;

/**
 * A withdrawal is asked by the sender for itself: in the first person, as a request, or with the
 * organisation named as the subject ("Transparency Hub will leave ..."). A general statement about
 * others ("unsigned organisations will be removed") asks nothing.
 */
function speaksForItself(sentence: string, folded: string): boolean {
  if (SELF_OR_REQUEST.test(folded)) return true;
  // A name: a capitalised word after the first, or an acronym anywhere.
  const words = sentence.trim().split(/\s+/);
  return words.some((w, i) => (i > 0 && /^["“„«(]?\p{Lu}/u.test(w)) || /^[\p{Lu}]{2,}\b/u.test(w));
}

/**
 * An invitation addressed to the reader ("we invite you to join us", "ju ftojmë të bashkoheni me ne",
 * "bashkohuni me ne në ..."): the sender asks the reader to come, not to be let in.
 */
const INVITATION =
  /\b(?:join us|come join|(?:we|i) (?:would like to |are pleased to |are happy to )?invite you|you are (?:cordially )?invited|(?:ju )?ftojme|ju ftoj|bashkohuni me ne|te bashkoheni me ne)\b/;
/** Saying membership is not needed ("no membership is required", "nuk kërkohet anëtarësim") asks for none. */
const NOT_REQUIRED =
  /\b(?:(?:no|without) (?:prior )?membership\b|membership\b[^.?!;]{0,40}? (?:is|being) (?:not|no longer) (?:required|needed|necessary|a (?:condition|requirement))|(?:do|does|need) not (?:need to |have to )?be (?:a )?members?\b|(?:nuk|s'|pa)\b[^.?!;]{0,30}?\b(?:kerkohet|nevojitet|eshte e nevojshme|duhet|qene)\b[^.?!;]{0,20}?\banetar\w*|anetaresi\w* (?:nuk )?(?:kerkohet|nevojitet|eshte e nevojshme)\b)/;
/** The sender speaks for itself: "we", "our", a first-person Albanian verb. */
const FIRST_PERSON =
  /\b(?:we|we'?d|we'?re|our|i|i'?d|my|us|ne|na|tone|jone|yne|une|duam|dua|would like|wishes|wants|requests|hereby|please|kindly|ju lutem|lutemi|deshiron|kerkon|do te donte)\b|\b\p{L}+(?:jme|emi|ojme|uam)\b/u;
/** A stated wish with an anaphoric object ("We'd like X to be on it", "Duam të jemi"). */
const BARE_WISH = /^(?:(?:so |and |but |yes,? )?(?:we|i)(?:'d| would| really)? (?:like|love|want|wish|hope)|(?:ne )?(?:duam|deshirojme|do te donim|do te deshironim)\b)/;
const INFO_SEEKING = /\b(?:know|learn|understand|receive|information|details|documents?|informacion|dokument\w*|te dime|te mesojme)\b/;

function sentenceScores(sentence: string): { join: number; withdrawal: number } {
  const f = fold(sentence);
  let join = 0;
  let withdrawal = 0;
  const joinAt = Math.min(...[JOIN_VERB_EN.exec(f)?.index, JOIN_VERB_SQ.exec(f)?.index].map((i) => i ?? Infinity));
  const joinVerb = joinAt !== Infinity;
  // Deliberation governs the verbs after it ("how to join", "whether we should sign"); a wish stated
  // first ("we would like to join and would like to know the next steps") stands.
  const deliberation = DELIBERATION.exec(f);
  const deliberating = deliberation !== null && deliberation.index <= joinAt;
  if (joinVerb && !JOIN_NEGATIVE.test(f) && !deliberating) {
    const question = /\?\s*$/.test(sentence.trim());
    const wish = WISH_EN.test(f) || WISH_SQ.test(f) || /^(?:we|i|our organi[sz]ation|ne)\b.*\b(?:will|shall|do)\b/.test(f);
    if (question) {
      if (POLITE_REQUEST.test(f) && !CONDITION_QUESTION.test(f)) join = TARGET.test(f) ? 2 : 1.5;
    } else if (wish) join = TARGET.test(f) ? 2 : 1.5;
    else join = 0.75;
  }
  if ((WITHDRAW_EN.test(f) || WITHDRAW_SQ.test(f)) && !WITHDRAW_NEGATIVE.test(f) && speaksForItself(sentence, f)) {
    withdrawal = TARGET.test(f) || /\b(?:our|its) (?:name|signature)\b|\bemrin\b|\bnenshkrimin\b/.test(f) ? 2 : 1;
  }
  return { join, withdrawal };
}

/** "How do we join?", "si mund të anëtarësohemi?": a question about the way in, not a wish by itself. */
function isJoinQuestion(sentence: string, f: string): boolean {
  if (!/\?\s*$/.test(sentence.trim()) || !CONDITION_QUESTION.test(f) || JOIN_NEGATIVE.test(f)) return false;
  return JOIN_VERB_EN.test(f) || JOIN_VERB_SQ.test(f);
}

/** An affirmative first-person wish that is not a request for information. */
function isBareWish(sentence: string): boolean {
  const f = fold(sentence).trim();
  if (/\?\s*$/.test(f)) return false;
  return BARE_WISH.test(f) && !INFO_SEEKING.test(f) && !DELIBERATION.test(f) && !JOIN_NEGATIVE.test(f);
}

/**
 * Scores the sender's own text (and, with a smaller weight, the subject when it
 * is not a reply, and the text of an attached letter). join/withdrawal >= 2
 * means a clear request.
 */
export function scoreIntent(input: { text: string; subject?: string; attachmentText?: string }): IntentScore {
  // An attached letter counts fully when the text points to it ("please find attached", "bashkëlidhur") or says little else.
  const attachmentWeight = ATTACHMENT_POINTER.test(fold(input.text)) || input.text.trim().length < 300 ? 1 : 0.5;
  const evidence: string[] = [];
  let join = 0;
  let withdrawal = 0;
  const all = fold(input.text);
  const targetInText = TARGET.test(all);
  // In an invitation, only the sender's own first-person wish is a request; impersonal lines
  // ("the forum is open to all, no membership is required") describe the event.
  const invitation = INVITATION.test(all);
  const list = sentences(input.text);
  const askedHow: number[] = [];
  list.forEach((s, i) => {
    const f = fold(s);
    let sc = sentenceScores(s);
    if (NOT_REQUIRED.test(f) || (invitation && !FIRST_PERSON.test(f))) sc = { join: 0, withdrawal: sc.withdrawal };
    if (sc.join === 0 && isJoinQuestion(s, f)) askedHow.push(i);
    if (sc.join > 0 || sc.withdrawal > 0) evidence.push(s);
    join += sc.join;
    withdrawal += sc.withdrawal;
  });
  // "How do we sign? We'd like our group to be on it." A question about the way in, next to a
  // wish stated as such, is a request: the wish carries the question's object.
  for (const i of askedHow) {
    const wish = [list[i - 1], list[i + 1]].find((n) => n !== undefined && isBareWish(n));
    if (wish && !invitation) {
      evidence.push(list[i]!, wish);
      join += 2;
      break;
    }
  }
  const subject = input.subject ?? '';
  const isReply = /^\s*(?:re|aw|sv|odp|r|p[eë]rgj|pergjigje|p[eë]rgjigje)\s*:/i.test(subject);
  const fs = fold(subject);
  const subjectTarget = TARGET.test(fs);
  if (subject.trim() !== '' && !isReply) {
    const sc = sentenceScores(subject);
    // A subject is a title: "Request to join", "Anëtarësim në koalicion", "Tërheqje nga Deklarata".
    const titleJoin = /\b(?:request|application|kerkese|aplikim)\b.*\b(?:join|membership|sign|anetaresim|nenshkrim|bashkim)|^\s*(?:anetaresim|membership|joining)\b/.test(fs);
    // A subject weighs half, or fully when the message says nothing else.
    const weight = input.text.trim().length < 40 ? 1 : 0.5;
    join += Math.max(sc.join, titleJoin ? 1 : 0) * weight;
    withdrawal += sc.withdrawal * weight + (/^\s*(?:terheqje|heqje|pezullim|largim|withdrawal|removal|suspension)\b/.test(fs) ? 0.5 : 0);
  }
  // A wish with no object ("We want to join.", "Yes, we will sign.") counts when the subject (a reply's
  // too: it names what is answered) or the text names the coalition, in a short message or said by "we".
  const short = input.text.trim().length < 400;
  if (join >= 1 && join < 2 && (targetInText || subjectTarget) && (short || evidence.some((e) => /^(?:we|i|ne|duam|deshirojme)\b/i.test(fold(e))))) join += 0.5;
  if (input.attachmentText) {
    for (const s of sentences(input.attachmentText.slice(0, 20_000))) {
      const sc = sentenceScores(s);
      join += sc.join * attachmentWeight;
      withdrawal += sc.withdrawal * attachmentWeight;
    }
  }
  return { join, withdrawal, evidence };
}
