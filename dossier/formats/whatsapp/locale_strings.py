"""Locale strings WhatsApp writes into exports, as data.

Every variant lives in a table here; the classifier (``classify.py``) only looks things up.
Sources of the spellings: real exports, gesiscss/WhatsR inst/Languages.csv (en/de system
strings) and the media placeholder list of mlomb/chat-analytics (facts only, re-typed).
Comparisons against these tables are made case-insensitively on a *copy* of the text with
invisible characters removed; the stored body is never changed.
"""

from __future__ import annotations

# Characters WhatsApp (or the phone's bidi handling) puts around names, headers and markers.
INVISIBLE = "\u200e\u200f\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

# Android "media omitted" placeholders (whole body), lower-cased. About 60 locales.
MEDIA_OMITTED = (
    "<media omitted>", "<medien ausgeschlossen>", "<medien weggelassen>",
    "<multimedia omitido>", "<archivo omitido>", "<médias omis>", "<fichier omis>",
    "<media weggelaten>", "<mídia oculta>", "<mídia omitida>", "<ficheiro não revelado>",
    "<multimédia omitido>", "<media omessi>", "<media omesso>", "<media weggelaat>",
    "<تم استبعاد الوسائط>", "<media buraxıldı>", "<media çıxarılmışdır>", "<без файл>",
    "<মিডিয়া বাদ দেওয়া হয়েছে>", "<fitxers multimèdia omesos>", "<mitjans omesos>",
    "<média vynechány>", "< média vynechána >", "<medier udeladt>", "<mediefil udeladt>",
    "<αρχείο παραλήφθηκε>", "<εξαίρεση πολυμέσων>", "<meedia välja jäetud>",
    "<meedia ära jäetud>", "<رسانه حذف شد>", "<media jätettiin pois>", "<media jätetty pois>",
    "<મિડિયા છોડી મૂકાયું>", "<मीडिया के बिना>", "<medijski zapis izostavljen>",
    "<média elhagyva>", "<hiányzó médiafájl>", "<media tidak disertakan>",
    "<המדיה לא נכללה>", "<מדיה הושמטה>", "<メディアなし>", "<メディアは含まれていません>",
    "<файлдар қосылмаған>", "<미디어 파일 제외됨>", "<미디어 파일을 생략한 대화내용>",
    "<medija praleista>", "<praleistas medijos turinys>", "<nav iekļauta multivide>",
    "<bez multivides>", "<без фајлови>", "<мീഡിയ ഒഴിവാക്കി>", "<मीडिया वगळले>",
    "<media dikecualikan>", "<media disingkirkan>", "<media utelatt>", "<uten vedlegg>",
    "<pominięto multimedia>", "<pliki pominięto>", "<conținut media omis>",
    "<без медиафайлов>", "<файл пропущен>", "<médiá vynechané>", "<datoteke izpuščene>",
    "<medij izpuščen>", "<media u hoq>", "<медији су изостављени>", "<media utelämnat>",
    "<media har utelämnats>", "<media hazijajumuishwa>", "<ไฟล์สื่อถูกลบ>", "<สื่อถูกลบ>",
    "<walang kalakip na media>", "<medya dahil edilmedi>", "<medya atlanmış>",
    "<медіа пропущено>", "<медіафайли пропущено>", "<میڈیا چھوڑ دیا گیا>",
    "<bỏ qua tệp phương tiện>", "<bỏ qua media>", "<忽略多媒體檔>", "<省略多媒体文件>",
)

# iOS "<kind> omitted" lines (whole body, usually after U+200E), lower-cased.
IOS_OMITTED = (
    "image omitted", "video omitted", "audio omitted", "sticker omitted", "gif omitted",
    "document omitted", "contact card omitted", "<image omitted>", "<video omitted>",
    "imagen omitida", "video omitido", "audio omitido", "sticker omitido", "gif omitido",
    "documento omitido", "bild weggelassen", "video weggelassen", "audio weggelassen",
    "sticker weggelassen", "gif weggelassen", "dokument weggelassen", "image absente",
    "vidéo absente", "audio omis", "immagine omessa", "video omesso", "audio omesso",
    "afbeelding weggelaten", "video weggelaten", "imagem ocultada", "vídeo ocultado",
    "áudio ocultado", "figurinha omitida",
)

# Whole-body deleted markers, lower-cased.
DELETED = (
    "this message was deleted", "you deleted this message", "message deleted",
    "this message was deleted.", "you deleted this message.",
    "diese nachricht wurde gelöscht.", "du hast diese nachricht gelöscht.",
    "diese nachricht wurde gelöscht", "este mensaje fue eliminado.", "eliminaste este mensaje.",
    "se eliminó este mensaje.", "ce message a été supprimé", "vous avez supprimé ce message",
    "ce message a été supprimé.", "vous avez supprimé ce message.",
    "essa mensagem foi apagada", "você apagou esta mensagem", "esta mensagem foi apagada",
    "questo messaggio è stato eliminato", "hai eliminato questo messaggio",
    "dit bericht is verwijderd", "je hebt dit bericht verwijderd",
)

# Trailing "edited" markers (the body keeps them), lower-cased.
EDITED_SUFFIXES = (
    "<this message was edited>", "<diese nachricht wurde bearbeitet>",
    "<se editó este mensaje.>", "<se editó este mensaje>", "<ce message a été modifié>",
    "<mensagem editada>", "<questo messaggio è stato modificato>",
    "<dit bericht is bewerkt>", "<bericht bewerkt>",
)

# Attachment markers. Prefix form "<WORD: NAME>" (iOS, any spacing); suffix forms
# "NAME (file attached)" (Android) and "NAME <attached>" (older iOS), compared lower-cased.
ATTACHED_WORDS = ("attached", "anhang", "angehängt", "adjunto", "pièce jointe", "anexo",
                  "allegato", "bijlage", "fichier joint")
ATTACHED_SUFFIXES = (
    "(file attached)", "(datei angehängt)", "(archivo adjunto)", "(fichier joint)",
    "(arquivo anexado)", "(ficheiro anexado)", "(file allegato)", "(bestand bijgevoegd)",
    "<attached>",
)

# Poll and location prefixes (case-sensitive; compared after leading invisible characters).
POLL_PREFIXES = ("POLL:", "UMFRAGE:", "ENCUESTA:", "SONDAGE:", "ENQUETE:", "SONDAGGIO:",
                 "PEILING:")
LOCATION_PREFIXES = (
    "location: ", "Location: ", "Standort: ", "ubicación: ", "Ubicación: ", "localização: ",
    "Localização: ", "position : ", "Position : ", "posizione: ", "Posizione: ",
    "locatie: ", "Locatie: ",
)
LIVE_LOCATION = (
    "live location shared", "live-standort wird geteilt.", "live-standort geteilt",
    "ubicación en tiempo real compartida", "position en direct partagée",
    "localização em tempo real compartilhada", "posizione in tempo reale condivisa",
    "live locatie gedeeld",
)

# Missed-call lines (whole body, lower-cased) -> kind "call".
CALLS = (
    "missed voice call", "missed video call", "missed group voice call",
    "missed group video call", "verpasster sprachanruf", "verpasster videoanruf",
    "llamada perdida", "videollamada perdida", "llamada de voz perdida",
    "appel vocal manqué", "appel vidéo manqué", "chamada de voz perdida",
    "chamada de vídeo perdida", "chiamata vocale persa", "videochiamata persa",
    "gemist spraakgesprek", "gemist videogesprek",
)

# System lines, as regexes over the (invisible-stripped) text. Grouped by language for review.
# A line matching one of these with no known author before its first ": " is a system line.
SYSTEM_PATTERNS = (
    # English
    r"messages (?:and calls )?(?:you send to this (?:group|chat) )?are (?:now )?"
    r"(?:secured with )?end-to-end encrypt",
    r".* created (?:group|this group)\b", r"you created group\b", r".* added .+",
    r"you were added\b", r".* removed .+", r".* left\b", r".* joined using this group's "
    r"invite link", r".* changed (?:the )?(?:subject|group name|this group's (?:icon|settings|"
    r"description)|the group description|the group icon)\b", r".* deleted this group's icon",
    r".* changed their phone number\b", r".* changed to \+?[0-9 ]+", r"your security code with"
    r" .* changed", r".* security code changed", r".* now an admin", r".* started a (?:video )?"
    r"call", r"this chat is with a business account", r"disappearing messages",
    r"you're now an admin", r"waiting for this message",
    # German
    r"nachrichten (?:und anrufe )?(?:an diese gruppe )?sind (?:jetzt )?ende-zu-ende-"
    r"verschlüsselt", r"du hast (?:die gruppe|den gruppennamen|den betreff|das gruppenbild)",
    r".* hat die gruppe .* erstellt", r".* hinzugefügt\.?", r".* entfernt\.?",
    r".* hat die gruppe verlassen", r".* ist über den einladungslink", r".* hat den (?:betreff|"
    r"gruppennamen|gruppenbeschreibung) .*geändert", r".* hat das gruppenbild geändert",
    r".* hat eine neue telefonnummer", r".* hat zu \+?[0-9 ]+ gewechselt",
    r"deine sicherheitsnummer für .* hat sich geändert", r"du wurdest hinzugefügt",
    # Spanish
    r"los mensajes (?:y las llamadas )?(?:que envíes a este grupo )?(?:ahora )?están cifrados",
    r".* creó (?:el )?grupo", r"creaste (?:el )?grupo", r".* añadió a .+", r"añadiste a .+",
    r".* eliminó a .+", r".* salió del grupo", r".* se unió usando el enlace",
    r".* cambió (?:el asunto|la descripción|el ícono|el icono|el nombre)",
    r".* cambió su número", r"te añadieron", r"tu código de seguridad con .* cambió",
    # French
    r"les messages (?:et (?:les )?appels )?(?:envoyés dans ce groupe )?sont (?:désormais )?"
    r"chiffrés", r".* a créé le groupe", r"vous avez créé le groupe", r".* a ajouté .+",
    r".* a retiré .+", r".* est parti", r".* a rejoint (?:ce groupe|le groupe) via",
    r".* a (?:changé|modifié) (?:le sujet|la description|l'icône|le nom)",
    r".* a changé son numéro", r"vous avez été ajouté", r"votre code de sécurité avec .* a changé",
    # Portuguese
    r"as mensagens (?:e (?:as )?chamadas )?(?:enviadas para este grupo )?(?:agora )?"
    r"(?:estão|são) protegidas com a criptografia", r".* criou (?:o )?grupo",
    r"você criou (?:o )?grupo", r".* adicionou .+", r".* removeu .+", r".* saiu",
    r".* entrou usando o link", r".* (?:mudou|alterou) (?:o assunto|a descrição|a imagem|o nome)",
    r".* mudou seu número", r"você foi adicionado", r"o seu código de segurança com .* mudou",
    # Italian
    r"i messaggi (?:e le chiamate )?(?:inviati a questo gruppo )?sono (?:ora )?(?:protetti|"
    r"crittografati)", r".* ha creato il gruppo", r"hai creato il gruppo",
    r".* ha aggiunto .+", r".* ha rimosso .+", r".* è uscito", r".* si è unito tramite",
    r".* ha (?:cambiato|modificato) (?:l'oggetto|la descrizione|l'immagine|il nome)",
    r".* ha cambiato il (?:suo )?numero", r"sei stato aggiunto",
    r"il tuo codice di sicurezza con .* è cambiato",
    # Dutch
    r"berichten (?:en oproepen )?(?:die je naar deze groep stuurt )?zijn (?:nu )?"
    r"(?:end-to-end-versleuteld|beveiligd)", r".* heeft (?:de )?groep .* aangemaakt",
    r"je hebt (?:de )?groep .* aangemaakt", r".* heeft .+ toegevoegd", r".* heeft .+ verwijderd",
    r".* is vertrokken", r".* neemt deel via de uitnodigingslink",
    r".* heeft (?:het onderwerp|de groepsbeschrijving|de groepsafbeelding|de naam) .*gewijzigd",
    r".* heeft (?:zijn|haar|het) telefoonnummer gewijzigd", r"je bent toegevoegd",
    r"je beveiligingscode met .* is gewijzigd",
)
