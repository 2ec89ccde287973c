import type { LanguageCues } from './types.ts';

/**
 * Albanian cues, on folded text ("ë" → "e", "ç" → "c"). Mediopassive verbs
 * (bashkohem, anëtarësohem, përfshihem ...) take the endings of every person
 * but the reader's:
 *   present em/emi/et/en, imperfect and imperfect subjunctive ej/esha/eshim/eshin,
 *   participle "t'u bashkuar", Gheg infinitive "me u bashku".
 * The reader's forms (bashkoheni, bashkohuni, nënshkruani) are in readerJoins.
 */

/** Endings of a mediopassive stem for the sender (1st and 3rd person, every mood). */
const MP = '(?:em|emi|et|en|ej|esha|eshe|eshim|eshin|esh)';

export const SQ: LanguageCues = {
  join: [
    { re: `\\bbashkoh${MP}\\b`, example: 'Do të donim të bashkoheshim me koalicionin.' },
    { re: `\\b(?:t'?u|me u|per t'?u) bashku(?:ar)?\\b`, example: "Kemi vendosur t'u bashkuar koalicionit për OGP." },
    { re: `\\banetaresoh${MP}\\b`, example: 'Organizata jonë dëshiron të anëtarësohet në koalicion.' },
    { re: `\\b(?:t'?u|me u|per t'?u) anetaresu(?:ar)?\\b`, example: "Shprehim dëshirën për t'u anëtarësuar në koalicion." },
    { re: '\\banetaresim(?:in|i|it)?\\b', example: 'Ju dërgojmë kërkesën tonë për anëtarësim në koalicion.' },
    { re: '\\bbashkim(?:in|i)? (?:me|ne|tone)\\b', example: 'Kërkojmë bashkimin me koalicionin e OShC-ve.' },
    { re: '\\bnenshkru(?:aj|ajme|ajne|an|anim|ante|anin|ajm|am|ar|aje)\\b', example: 'Do të dëshironim ta nënshkruanim deklaratën e përbashkët.' },
    { re: '\\bme nenshkru\\b', example: 'Na intereson me nënshkru deklaratën e koalicionit.' },
    { re: '\\bnenshkrim(?:in|i)?\\b(?! (?:te|e) (?:ligjit|marreveshjes|kontrates|memorandumit|protokollit))', example: 'Konfirmojmë nënshkrimin e deklaratës nga organizata jonë.' },
    { re: '\\bfirmos(?:im|in|nim|te|nte|ur|ja|jen|e)\\b', example: 'Duam ta firmosim deklaratën e koalicionit.' },
    { re: '\\bader(?:oj|ojme|ojne|oje|on|onim|onte|onin|uam|uar|oi|im|imin|imi)\\b', example: 'Organizata jonë aderon në Deklaratën e Përbashkët.' },
    { re: `\\b(?:beh${MP}|u bere|t'?u bere|me u be(?:re)?|me u ba|me u bo|u bo|te bere) (?:edhe )?(?:pjese|anetar\\w*|nenshkrues\\w*|pjesemarres\\w*|bashkenenshkrues\\w*)`, example: 'Do të donim të bëheshim pjesë e koalicionit.' },
    { re: '\\b(?:te|me|do te) (?:jemi|jete|ishim|ishte|jene|qene|kemi qene) (?:edhe ne )?(?:pjese|anetar\\w*|nenshkrues\\w*)\\b', example: 'Dëshirojmë të jemi pjesë e Koalicionit për OGP.' },
    { re: '\\b(?:regjistro|shto|perfshi|fus|listo)\\w* (?:edhe )?(?:organizaten|shoqaten|qendren|emrin|fondacionin) (?:time|tone|sone|jone|tim|tone)\\b', example: 'Dua të regjistroj organizatën time në koalicion.' },
    { re: "\\b(?:t'?u|me u|per t'?u) (?:perfshire|perfshi|regjistruar|regjistru|listuar|shtuar|pranuar|pranu)\\b", example: 'Ju drejtohemi me kërkesën për t’u përfshirë në koalicion.' },
    { re: '\\b(?:te |me |ta )?figuro(?:j|jme|je|n|nte|nim|jne|ni)\\b', example: 'Do të donim shumë që emri i organizatës sonë të figuronte në deklaratë.' },
    { re: `\\bperfshih${MP}\\b`, example: 'Kërkojmë të përfshihemi në listën e nënshkruesve.' },
    { re: `\\b(?:regjistroh|listoh|shtoh|pranoh|rreshtoh)${MP}\\b`, example: 'Do të dëshironim të pranoheshim si anëtarë të koalicionit.' },
    { re: '\\bmbeshtes(?:im|in|nim|te)? (?:plotesisht |fuqimisht )?(?:deklarat|koalicion|nism)\\w*', example: 'Ne mbështesim plotësisht deklaratën e koalicionit.' },
  ],
  joinUs: [
    { re: '\\b(?:te |ta |qe te )?na (?:shtoni|perfshini|listoni|regjistroni|pranoni|konsideroni|numeroni|llogaritni|quani|fusni|vendosni|rreshtoni)\\b', example: 'Ju lutem na shtoni në listën e nënshkruesve të deklaratës.' },
    { re: '\\b(?:shtoni|perfshini|regjistroni|listoni|vendosni|shenoni|fusni) (?:edhe )?(?:emrin|organizaten|shoqaten|qendren|logon|nenshkrimin) (?:tone|e organizates|e shoqates|e qendres)', example: 'Shtoni edhe emrin tonë te nënshkruesit e deklaratës.' },
    { re: '\\bte (?:shtohet|perfshihet|listohet|regjistrohet|pranohet) (?:edhe )?(?:emri|organizata|shoqata|qendra|logoja)', example: 'Ju lutemi të shtohet edhe emri i organizatës sonë në deklaratë.' },
    { re: '\\b(?:me|te|ta) na (?:shtu|shtuar|perfshi|perfshire|regjistru|regjistruar|pranu|pranuar|listu|listuar)\\b', example: 'A mundeni me na shtu në listën e nënshkruesve?' },
    { re: '\\b(?:llogaritni|numeroni) (?:edhe )?(?:ne|mbi ne)\\b', example: 'Për deklaratën e koalicionit llogaritni edhe ne.' },
  ],
  wish: [
    { re: '\\bdeshir(?:oj|ojme|on|ojne|onim|onte|oja|uar|a|en|e|es|at)\\b', example: 'Dëshirojmë të bashkohemi me koalicionin.' },
    { re: '\\b(?:dua|duam|duem|dojme|donim|donte|doja|deshim)\\b', example: 'Duam të nënshkruajmë deklaratën e përbashkët.' },
    { re: '\\b(?:kishim|kishin|kemi|kena) dasht\\w*|\\bdashtem\\b', example: 'Na kishim dashtë me u bâ pjesë e koalicionit.' },
    { re: '\\b(?:dojna|dona|duena|dojm|kena deshire|kemi deshire)\\b', example: 'Na dojna me u bashku me koalicionin e OShC-ve.' },
    { re: '\\bdo te (?:ishte|ishim) (?:nder|kenaqesi|te lumtur|te gezuar)\\b', example: 'Do të ishte nder për ne të jemi pjesë e koalicionit.' },
    { re: '\\bkerk(?:oj|ojme|ojne|on|onim|ese|esa|esen|eses|esat)\\b', example: 'Kërkojmë anëtarësimin në koalicion.' },
    { re: '\\binteres(?:i|in|it|ohemi|ohet|uar|uara)?\\b|\\bna intereson\\b', example: 'Interesi ynë për anëtarësim në koalicion është i madh.' },
    { re: '\\bgatish(?:meri|merine|merise|meria)\\b|\\bte gatsh(?:em|me)\\b|\\be gatshme\\b|\\bi gatshem\\b', example: 'Shprehim gatishmërinë për anëtarësim në koalicion.' },
    { re: '\\blut(?:em|emi|je)\\b', example: 'Ju lutem pranoni anëtarësimin tonë në koalicion.' },
    { re: '\\bvendos(?:em|ur|i|en|im)\\b|\\bvendim(?:i|in)?\\b', example: 'Bordi ka vendosur që organizata të anëtarësohet në koalicion.' },
    { re: '\\bkonfirmo(?:j|jme|n|jne)\\b', example: 'Konfirmojmë anëtarësimin tonë në koalicion.' },
    { re: '\\bshpreh(?:im|in|ur|)\\b', example: 'Shprehim interesin për anëtarësim në koalicion.' },
    { re: '\\bformular\\w*', example: 'Bashkëngjitur gjeni formularin e plotësuar për anëtarësim në koalicion.' },
    { re: '\\bapliko(?:j|jme|jne|n|nim|nte|je)\\b', example: 'Aplikojmë për anëtarësim në Koalicionin e OShC-ve.' },
    { re: '\\b(?:synoj(?:me)?|planifiko(?:j|jme))\\b', example: 'Synojmë të anëtarësohemi në koalicion këtë vit.' },
    { re: '\\b(?:me |kemi )?kenaqesi(?:ne|a)?\\b|\\bna vjen mire\\b|\\bna gezon\\b', example: 'Me kënaqësi do të nënshkruanim deklaratën e koalicionit.' },
    { re: '\\bme ane te (?:kesaj|ketij)\\b|\\bne emer te\\b|\\bju (?:shkruaj(?:me)?|drejtohe(?:m|mi))\\b', example: 'Me anë të kësaj, organizata jonë aderon në koalicion.' },
    { re: '\\b(?:organizata|shoqata|qendra|fondacioni|rrjeti|forumi|instituti|levizja|grupi|klubi) (?:jone|yne)\\b', example: 'Organizata jonë aderon në Deklaratën e Përbashkët.' },
    { re: '\\b(?:jemi |jam )?dakord\\b|\\bpranojme\\b|^po\\b[,!.]?', example: 'Po, jemi dakord ta nënshkruajmë deklaratën.' },
    { re: "\\bdo t(?:e |')(?:\\w+ ){0,2}(?:bashkoh|anetaresoh|nenshkru|ader|firmos|beh|perfshih|jemi|ishim|ishte|jete)\\w*", example: 'Organizata jonë do të bashkohej me kënaqësi me koalicionin.' },
  ],
  object: [
    { re: '\\bkoalicion\\w*', example: 'Dëshirojmë të anëtarësohemi në koalicion.' },
    { re: '\\bdeklarat\\w*', example: 'Duam ta nënshkruajmë deklaratën.' },
    { re: '\\bnenshkrues\\w*', example: 'Na shtoni te nënshkruesit, ju lutem.' },
    { re: '\\b(?:qeverisje te hapur|partneritet\\w* per qeverisje)\\b', example: 'Dëshirojmë të bashkohemi me nismën për Qeverisje të Hapur.' },
    { re: '\\b(?:rrjet|nism|platform)\\w*', example: 'Organizata jonë dëshiron të anëtarësohet në rrjet.' },
    { re: '\\b(?:lista|liste|listen|listes)\\b', example: 'Ju lutem na përfshini në listë.' },
    { re: '\\banetar\\w*', example: 'Duam të bëhemi anëtarë.' },
  ],
  firstPerson: [
    { re: "\\b(?:ne|na|neve|tone|jone|yne|sone|tona|tane|une|mua|im|ime|jena|kena)\\b", example: 'Ne duam që organizata jonë të jetë pjesë e koalicionit.' },
    { re: '\\b\\w+(?:ojme|ajme|ejme|emi|eshim|nim|uam)\\b', example: 'Anëtarësohemi me kënaqësi në koalicion.' },
    { re: '\\b(?:deshiron|deshironte|kerkon|synon|shpreh|konfirmon|vendosi|ka vendosur|do te donte|eshte e gatshme|eshte i gatshem|paraqet|dergon|aderon)\\b', example: 'Shoqata Drini dëshiron të anëtarësohet në koalicion.' },
  ],
  readerJoins: [
    { re: '\\b(?:bashkoh|anetaresoh|perfshih|regjistroh)(?:eni|uni|u)\\b', example: 'Bashkohuni me koalicionin tonë për ajrin e pastër!' },
    { re: "\\b(?:t'?i |te |ta )?(?:nenshkru(?:ani|ash|ajni)|firmos(?:ni|ni)|ader(?:oni|osh)|mbeshtet(?:ni))\\b", example: 'Ju lutem nënshkruani peticionin tonë deri të premten.' },
    { re: '\\bbeh(?:eni|uni) (?:pjese|anetar\\w*)', example: 'Bëhuni pjesë e rrjetit tonë të ri.' },
    { re: "\\b(?:ju|t'?ju|i|t'?i) fto(?:jme|j|jne|nim)\\b", example: 'Ju ftojmë të bashkoheni me koalicionin tonë.' },
    { re: '\\bmirepres(?:im|in) (?:organizat|oshc|te gjith|anetar|cdo)\\w*|\\bju inkurajo(?:jme|j)\\b', example: 'Mirëpresim organizatat që të anëtarësohen në rrjetin tonë.' },
  ],
  otherObject: [
    { re: '\\b(?:bashkoh|bashku|marr\\w* pjese)\\w* (?:\\w+ ){0,3}(?:takim|konference|trajnim|webinar|seminar|tryez|diskutim|event|aktivitet|lista e (?:postimeve|email))\\w*', example: 'Do të donim të bashkoheshim në takimin e radhës të koalicionit.' },
    { re: '\\b(?:pjese e|ne) (?:ekipit|stafit|punonjesve)\\b|\\bpozicion\\w*|\\bvend(?:in)? (?:e )?pune\\b', example: 'Do të doja shumë të bëhesha pjesë e ekipit tuaj si asistente projekti.' },
    { re: '\\bsi (?:vezhgues|vezhguese)\\b', example: 'Dëshirojmë të marrim pjesë në takimet e koalicionit si vëzhgues.' },
  ],
  negation: [
    { re: "\\b(?:nuk|s'|mos|asnjehere)\\b", example: 'Nuk do të bashkohemi me koalicionin këtë vit.' },
  ],
  deliberation: [
    { re: '\\b(?:nese|ne qofte se|ne rast se|po qe se)\\b', example: 'Nëse vendosim të anëtarësohemi në koalicion, do t’ju njoftojmë.' },
    { re: '\\bpo (?:mendojme|shqyrtojme|diskutojme|konsiderojme|vleresojme|mendohemi)\\b', example: 'Po mendojmë të bashkohemi me koalicionin.' },
    { re: "\\b(?:nuk|ende nuk|akoma nuk|s') (?:e )?kemi (?:marre )?(?:vendosur|vendim)", example: 'Ende nuk kemi vendosur të nënshkruajmë deklaratën.' },
    { re: '\\bpara se te (?:vendosim|aplikojme|marrim)\\b', example: 'Para se të vendosim të anëtarësohemi në koalicion, kemi disa pyetje.' },
    { re: '\\ba duhet te\\b', example: 'A duhet të nënshkruajmë deklaratën për t’u bërë anëtarë?' },
    { re: '\\bte (?:dime|dinim|mesojme|mesonim|kuptojme|kuptonim|informohemi|informoheshim)\\b', example: 'Duam të dimë si mund të anëtarësohemi në koalicion.' },
    { re: '\\binformacion\\w* (?:mbi|per|rreth|lidhur me) (?:si|kushtet|procedur\\w*|menyren|hapat|kriteret)', example: 'Do të donim informacion mbi kushtet për anëtarësim në koalicion.' },
  ],
  conditionQuestion: [
    { re: '\\bcilat (?:jane|eshte)\\b|\\bsi (?:mund|behet|funksionon)\\b|\\ba mund\\b|\\bcfare (?:duhet|nevojitet|kerkohet)\\b|\\bkushtet\\b|\\bkriteret\\b|\\bprocedur\\w*', example: 'Cilat janë kushtet për t’u anëtarësuar në koalicion?' },
  ],
  already: [
    { re: '\\b(?:vazhdo|mbet|mbes)\\w* (?:te |me )?(?:jete|jemi|jene|jem|qene|ngel\\w*) (?:pjese|anetar\\w*|nenshkrues\\w*)', example: 'Organizata jonë vazhdon të jetë pjesë e koalicionit dhe e deklaratës.' },
    { re: '\\bjemi (?:tashme|tanime|prej kohesh|qe prej\\b[^.?!]{0,20}) (?:anetar|pjese|nenshkrues)\\w*', example: 'Jemi tashmë anëtarë të koalicionit dhe e kemi nënshkruar deklaratën.' },
    { re: '\\bfaleminderit (?:qe|per) (?:na )?(?:pranuat|shtuat|perfshite|miratuat|konfirmimin|ftesen|mireseardhjen)', example: 'Faleminderit që na pranuat në koalicion dhe na shtuat te nënshkruesit.' },
  ],
  notRequired: [
    { re: "(?:nuk|s'|pa)\\b[^.?!;]{0,30}?\\b(?:kerkohet|nevojitet|eshte e nevojshme|duhet|qene)\\b[^.?!;]{0,20}?\\banetar\\w*|\\banetaresi\\w* (?:nuk )?(?:kerkohet|nevojitet|eshte e nevojshme)\\b", example: 'Forumi është i hapur për të gjithë, nuk kërkohet anëtarësim në koalicion.' },
  ],
  withdraw: [
    { re: '\\bterhiq(?:emi|et|en|em|eshim|ej)\\b', example: 'Organizata jonë tërhiqet nga koalicioni.' },
    { re: '\\bterheq(?:je|jen|ja|jes|im|in)\\b|\\bterhequr\\b', example: 'Ju njoftojmë tërheqjen tonë nga deklarata e përbashkët.' },
    { re: '\\bhiq(?:ni|et|im|ur)? (?:emrin|emri|organizaten|organizata|nenshkrimin|nenshkrimi|logon|logoja)\\b|\\bte hiqet\\b|\\bna hiqni\\b', example: 'Ju lutem hiqni emrin tonë nga lista e nënshkruesve.' },
    { re: '\\b(?:me |te |ta )?na (?:hiqni|hiqeni|hiq|hjek\\w*|heq\\w*)\\b', example: 'Ju lutem me na hjek prej listës së nënshkruesve të deklaratës.' },
    { re: '\\bheqjen e (?:emrit|organizates|nenshkrimit)\\b', example: 'Kërkojmë heqjen e emrit të organizatës nga deklarata.' },
    { re: `\\blargoh${MP}\\b|\\blargim(?:i|in)? (?:nga|e organizates|tone)`, example: 'Shoqata jonë largohet nga koalicioni.' },
    { re: '\\bpezullo\\w*|\\bpezullim\\w*', example: 'Pezullojmë anëtarësimin tonë në koalicion.' },
    { re: '\\bnderpre(?:sim|sin|se|ase|jme|t) (?:\\w+ )?(?:pjesemarrjen|anetaresimin|bashkepunimin|mbeshtetjen)', example: 'Ndërpresim pjesëmarrjen tonë në koalicion.' },
    { re: '\\bheq(?:im|in|e) dore nga\\b|\\bdal(?:im|in|e) nga (?:koalicioni|deklarata|rrjeti|lista)|\\bdalje(?:n)? nga koalicion', example: 'Heqim dorë nga deklarata e koalicionit.' },
    { re: '\\bnuk do te (?:jemi|mbetemi|vazhdojme|figurojme)\\b|\\bnuk (?:deshirojme|duam|mund) (?:me )?te (?:jemi|mbetemi|vazhdojme|figurojme)|\\b(?:nuk|mos) (?:do te |deshiron te |deshirojme te |duam te |mund te )?(?:te )?(?:jete|jemi|jene|mbetet|mbetemi) me (?:pjese|anetar|nenshkrues)', example: 'Nuk dëshirojmë më të jemi pjesë e koalicionit.' },
    { re: '\\bhiq\\w* [^.?!]{1,120}? nga (?:lista|deklarat|koalicion|nenshkrues|rrjet)', example: 'Hiqeni Qendrën Rinore nga lista e nënshkruesve.' },
    { re: '\\banulo(?:ni|jme) (?:nenshkrimin|anetaresimin|mbeshtetjen)|\\brevoko(?:jme|j)\\b|\\bfshini emrin|\\bte fshihet', example: 'Anulojmë nënshkrimin tonë të deklaratës.' },
    { re: '\\bte mos (?:jemi|figurojme|listohemi|perfshihemi)|\\bte mos (?:na |e )?(?:perfshini|listoni) (?:me|organizaten|emrin)', example: 'Kërkojmë të mos figurojmë më në listën e nënshkruesve.' },
  ],
  withdrawNot: [
    { re: "\\bme hiqni\\b|\\bc'?regjistro|\\blista e (?:postimeve|email|adresave)", example: 'Ju lutem më hiqni nga lista e postimeve të koalicionit.' },
    { re: '\\bkorrigj|\\bgabim\\b|\\bdrejtshkrim|\\bshkruar gabim', example: 'Emri ynë në deklaratë është shkruar gabim, ju lutem hiqni gabimin.' },
    { re: '\\bterhiq(?:et|en) (?:ligji|projektligji|draft)', example: 'Kërkojmë që të tërhiqet projektligji nga parlamenti.' },
  ],
};
