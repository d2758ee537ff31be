"""What a buyer message asks for, by its words: intents, item topics, scams, abuse, people."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from parley_negotiation.domain.language import branches, heads, phrases
from parley_negotiation.domain.reading import Intent, ScamKind, Topic

# Each cue is a list of phrase patterns over folded text (see `language.normalise`).
_SCAMS: dict[str, tuple[str, ...]] = {
    ScamKind.OVERPAYMENT: (
        r"overpa(?:y|id|ying|yment)",
        r"pay (?:you )?(?:extra|more than)",
        r"send (?:you )?(?:more|extra) (?:than|money)",
        r"refund (?:me )?the (?:difference|balance|rest|extra|excess)",
        r"send (?:me )?back the (?:difference|extra|balance|rest|excess)",
        r"(?:extra|excess) (?:money|amount|funds)",
        r"โอนเกิน|คืนส่วนต่าง|ทอนคืน|โอนส่วนต่างคืน",
    ),
    ScamKind.SHIPPING_AGENT: (
        r"shipping (?:agent|company)|\bshipper|my movers?|\bmovers\b|moving company",
        r"pick ?up agent|courier|freight|transport company",
        r"(?:i'?ll|i will|will) (?:send|arrange) (?:a |my )?"
        r"(?:courier|driver|agent|truck|shipping)",
        r"my assistant will|out of (?:state|the country)|overseas|offshore|deployed",
        r"on a (?:ship|rig)|(?:ups|fedex|dhl) (?:will|to) (?:pick|come)",
        r"บริษัทขนส่ง|ให้ขนส่ง(?:มา)?รับ|ส่งขนส่งมารับ|ชิปปิ้ง|ฝากขนส่ง(?:มา)?รับ",
    ),
    ScamKind.CASHIERS_CHECK: (
        r"cashier'?s? che(?:ck|que)|certified che(?:ck|que)|money order|bank draft",
        r"che(?:ck|que) in the mail|mail (?:you )?a che(?:ck|que)",
        r"แคชเชียร์เช็ค|เช็คเงินสด",
    ),
    ScamKind.VERIFICATION_CODE: (
        r"verification code|verify code|google voice|\botp\b",
        r"(?:send|text|give|share|tell|forward|read) (?:me )?(?:back )?"
        r"(?:the |that |your |a |ur |this )?(?:\d+[- ]digit |six digit )?"
        r"(?:code|number i (?:just )?(?:sent|texted))",
        r"verify (?:you|ur|your|that you)|confirm (?:you'?re|you are|ur) (?:real|legit)",
        r"รหัส ?otp|รหัสยืนยัน|ขอรหัส|ส่งรหัส|บอกรหัส|รหัสที่ส่ง|รหัส 6 หลัก",
    ),
    ScamKind.PAYMENT_LINK: (
        r"zelle\b[^.?!]{0,40}(?:link|upgrade|business|email|limit|pending)",
        r"(?:link|upgrade|business account)[^.?!]{0,30}zelle",
        r"pay(?:ment)? (?:via|through|with|using|by|on) (?:this|the|my|a) link|payment link",
        r"(?:click|open|use|tap) (?:on )?(?:the|this|my) link",
        r"claim (?:your |the )?(?:payment|money|funds)",
        r"sent (?:you )?(?:the |a )?(?:payment )?link|(?:paypal|venmo|cash ?app) link",
        r"https?://\S*(?:pay|claim|secure|verify)",
        r"(?:ลิงก์|ลิงค์|ลิ้งค์|ลิ้ง)[^\n]{0,20}(?:รับเงิน|โอน|ชำระ|กรอก)",
        r"(?:รับเงิน|ชำระเงิน)[^\n]{0,12}(?:ลิงก์|ลิงค์|ลิ้ง)|กด(?:ลิงก์|ลิงค์|ลิ้ง)|กดรับเงิน",
    ),
}
_CUES: dict[str, tuple[str, ...]] = {
    Intent.ABUSE: (
        r"f(?<!\wf)f*u+c*k+|\bfck|\bfuk|\bfk (?:u|you|off)|\bf off\b|\bshit|bitch|asshole",
        r"\bidiot|stupid",
        r"\bmoron|retard|\bdumb\b|\bcunt|\bdick\b|bastard|\bloser|go to hell|\bstfu|shut up",
        r"scammer|piece of (?:shit|crap|junk)",
        r"ควาย|เหี้ย|สัส|ไอ้สัตว์|มึง|ตอแหล|ระยำ|ส้นตีน|ชิบหาย|แม่ง|อีดอก|ไอ้เวร|เวรเอ้ย|โง่",
        r"หน้าด้าน|ขี้โกง|ไอ้บ้า|อีบ้า",
    ),
    Intent.HUMAN: (
        r"real (?:person|human|people)|\bhuman\b|someone real",
        r"(?:talk|speak|chat) (?:to|with) (?:the |a |an |your |a real )?(?:owner|seller|person"
        r"|someone|somebody|human|manager|boss|real|him|her)",
        r"are (?:you|u) (?:a |the )?(?:bot|robot|real|human|ai|automated|owner)",
        r"is this (?:a |an )?(?:bot|robot|automated|ai\b|auto ?reply)|\bbot\b|robot",
        r"customer service|representative|call me|can i call",
        r"ขอคุยกับ|คุยกับคน|คนจริง|บอท|แอดมิน|ตัวจริง|โทรหา|ขอเบอร์",
        r"เจ้าของ(?<!กี่เจ้าของ)(?!กี่|คนเดียว|เดียว|มือ|เดิม|ใช้)",
    ),
    Intent.REJECTION: (
        r"no thanks|no thank you|no thx|not interested|\bpass\b(?! by)|never ?mind|\bnvm\b",
        r"no longer (?:interested|need)|found (?:another|one|something)",
        r"bought (?:another|one|something)|went with another|forget (?:it|about it)|no deal",
        r"not for me|can'?t afford",
        r"ไม่เอาแล้ว|ไม่เป็นไร|ไม่สนใจ|ขอผ่าน|ได้(?:คัน|ตัว|อัน|เครื่อง)?อื่นแล้ว",
        r"ซื้อ(?:ที่|คัน|ตัว)?อื่นแล้ว|ไว้ก่อน|ไว้คราวหน้า|ยกเลิก",
    ),
    "soft_rejection": (
        r"too (?:expensive|much|high|pricey|steep|rich)|overpriced|a bit much|way too",
        r"แพง(?:ไป|จัง|มาก|เกิน)",
    ),
    Intent.AVAILABILITY: (
        r"still (?:available|avail|avl|for sale|have it|got it|there|up|selling)",
        r"is (?:this|it|the [a-z]+) (?:still )?(?:available|avail|for sale)",
        r"\bavailable\b|\bavail\b|(?:you|u) still have",
        r"has it sold|is it sold|been sold|sold yet|sold\?",
        r"ยังอยู่|ยังมี(?:อยู่)?(?:ไหม|มั้ย|มั๊ย|ป่ะ|ปะ|อยู่|ของ)|ยังไม่(?:ได้)?ขาย",
        r"ขาย(?:ไป)?(?:แล้ว)?(?:หรือ)?ยัง|ยังขาย(?:อยู่)?|ว่างไหม|ยังว่าง",
    ),
    Intent.ACCEPTANCE: (
        r"it'?s a deal|you got a deal",
        r"deal(?<!\wdeal)(?<!best deal)(?<!good deal)(?<!great deal)(?<!a deal)(?<!no deal)\b"
        r"(?! on)",
        r"i'?ll take it|\bill take it|i will take it|i'?ll buy it|sounds good|works for me",
        r"that works|\bagreed|\baccept\b|let'?s do (?:it|that)|done deal|\bsold\b",
        r"ok(?:ay)? (?:sure|fine|i'?ll|let'?s|then|sounds|works|good|go)|fine by me",
        r"see you then",
        r"ตกลง|ดีล|จัดไป|เอาเลย|เอาครับ|เอาค่ะ|ตามนั้น|ได้เลย|รับได้|ซื้อเลย|โอเคเลย",
    ),
    Intent.PRICE_QUESTION: (
        r"lowest|best price|bottom (?:line|price|dollar)|negotiable|negotiat|\bneg\b|flexible",
        r"wiggle room|come down|go (?:any )?lower|go down|any lower|take less|accept less",
        r"discount|best you can do|how much|what(?:'s| is) the price|\bprice\?|\bobo\b",
        r"firm\?|is (?:it|the price|that|this|price) firm|final price|any room|\bcheaper",
        r"the least you",
        r"ลดได้|ลดไหม|ลดมั้ย|ลดหน่อย|ลดอีก|ลดราคา|ต่อได้|ต่อรอง|ต่อหน่อย",
        # "how much", but not "how many miles" ("ไมล์เท่าไหร่") or other amounts of the item
        r"เท่า(?<!ไมล์เท่า)(?<!ไมล์ เท่า)(?<!วิ่งเท่า)(?<!มาเท่า)(?<!ปีเท่า)(?<!แบตเท่า)(?:ไหร่|ไร)",
        r"กี่บาท|ราคา\s?\?|ขอลด|ลดให้|ยืดหยุ่น|ลดเหลือ|ราคาสุดท้าย|ราคาเต็ม|ถูกกว่านี้",
        r"ราคาพิเศษ",
    ),
    Intent.PAYMENT: (
        r"(?:do|would|will|can) (?:you|u) (?:take|accept) (?!less|\d|\$)",
        r"pay (?:with|by|via|in|thru|through|using)|payment|paypal|venmo|zelle|cash ?app",
        r"apple pay|credit card|debit|financ|installments?|escrow|deposit",
        r"wire transfer|bank transfer|how (?:do|can|should) i pay|cash only|only cash|cash or",
        r"โอน(?<!เล่มพร้อมโอน)(?<!เล่มโอน)(?!รถ|ลอย|เล่ม|ชื่อ|กรรมสิทธิ์)",
        r"จ่าย(?:ยังไง|ทาง|ผ่าน|แบบไหน)|ผ่อน|มัดจำ|ไฟแนนซ์|ดาวน์|พร้อมเพย์|บัตรเครดิต",
        r"เก็บเงินปลายทาง|ปลายทาง|เงินสด(?:ได้|ไหม|มั้ย|หรือ)",
    ),
    "test_drive": (r"test ?drive|test-drive|drive it|ลองขับ|ทดลองขับ|เทสขับ|เทสไดร์ฟ|ขอขับ",),
    Intent.VIEWING: (
        r"see it|see the (?:car|bike|truck|item|phone|vehicle)|look at it|take a look",
        r"have a look|check it out|stop by|swing by|drop by|pass by|\bviewing|\bview it",
        r"come (?:by|over|see|look|check|and see|to see|pick|get|tomorrow|today)",
        r"inspect|pick (?:it )?up|pickup|pick-up|when can i|where can i|can i come",
        r"meet(?:up)?(?! (?:me )?(?:in the middle|halfway|half))",
        r"ดูรถ|ขอดู(?!รูป|ภาพ|คลิป|วิดีโอ|สเปค)|ไปดู|มาดู|ดูของ|ดูตัวจริง|เข้าไปดู|แวะ|นัด",
        r"ไปรับ|มารับ|ดูได้",
    ),
    Intent.THANKS: (
        r"thank|\bthx\b|\bty\b|\btks\b|\bthnx|\bthanx|appreciate|\bgot it\b|\bnoted\b",
        r"ok(?:ay)? cool|ขอบคุณ|ขอบใจ|แต้งกิ้ว|เทงกิ้ว|ขอบคุน",
    ),
    Intent.GREETING: (
        r"\b(?:hi|hello|hey|hiya|heya|yo|howdy|sup|hola)\b|good (?:morning|afternoon|evening)",
        r"สวัสดี|หวัดดี|ดี(?<![\u0e01-\u0e4e]ดี)(?:ครับ|ค่ะ|คับ|จ้า)",
    ),
}
_TOPICS: dict[str, tuple[str, ...]] = {
    Topic.MILEAGE: (
        r"mileage|milage|\bmiles\b|\bkms?\b|odometer|\bodo\b|how many k\b",
        r"ไมล์|วิ่ง(?:มา)?(?:กี่|เท่า)|กี่โล|กี่กิโล|กี่กม|ระยะทาง",
    ),
    Topic.YEAR: (
        r"what year|which year|year\?|year is it|how old|model year",
        r"\b(?:19|20)\d\d\s?\?|is it (?:a |an )?(?:19|20)\d\d",
        r"ปีไหน|ปีอะไร|กี่ปี|รุ่นปี|ปี\s?\?|จดปี",
        r"ปี\s?\d{2,4}\s?(?:ใช่|หรอ|เหรอ|ป่ะ|ปะ|\?|ไหม|มั้ย)",
    ),
    Topic.TITLE: (
        r"title|pink slip|\bpapers?\b|registration|\brego\b|\blien|salvage|rebuilt|\btags?\b",
        r"smog|เล่ม|ทะเบียน|โอนลอย|ภาษี|พ\.ร\.บ|พรบ|ชื่อใคร|โอนรถ|โอนชื่อ|ป้ายแดง",
    ),
    Topic.ACCIDENTS: (
        r"accident|crash|wreck|been hit|fender bender|flood|carfax|autocheck|airbags?",
        r"ชน(?!ิด|ะ|บท)|อุบัติเหตุ|น้ำท่วม|จมน้ำ|ทำสี",
    ),
    Topic.CONDITION: (
        r"condition|\bcond\b|issues?\b|problems?|anything wrong|wrong with|running|leak",
        r"\bruns? (?:good|well|fine|great|ok)|\brust|scratch|\bdents?\b|damage|check engine",
        r"warning light|mechanical|battery (?:health|life)|crack|still work|smoke|smell",
        r"work(?:s|ing)? (?:fine|well|ok|good|properly)|maintenance|service (?:records?|history)",
        r"oil change|need any work|\bac\b|a/c|air ?con|heater|blows? cold",
        r"สภาพ|ปัญหา|เสีย(?!ดาย|ง)|รอย|สนิม|ใช้งาน|ใช้ได้ปกติ|แบต|แอร์|ช่วงล่าง|ซ่อม|จอแตก",
        r"ประวัติ|เช็คระยะ|เครื่องดี|เครื่องเป็น|ตำหนิ",
    ),
    Topic.LOCATION: (
        r"where (?:are|r|is|do|you|u|ya|abouts|about|located)|where'?s it|location|located",
        r"address|what area|which area|how far|\bzip\b|what city|part of town|near me",
        r"ที่ไหน|อยู่ไหน|แถวไหน|อยู่แถว|พิกัด|จังหวัด|อำเภอ|อยู่เขต|โลเคชั่น|ที่อยู่",
    ),
    Topic.FEATURES: (
        r"features?|options?|leather|sunroof|moonroof|navigation|\bnav\b|bluetooth|camera",
        r"carplay|android auto|heated seats|\bawd\b|\b4wd\b|4x4|\bfwd\b|automatic|\bauto\b",
        r"manual|stick shift|transmission|engine|\bv6\b|\bv8\b|cylinder|\btrim\b|\bgb\b",
        r"storage|what size|colou?r|\btow|hitch|cruise|keyless|push start|\bram\b",
        r"ออฟชั่น|ออปชั่น|เกียร์|ออโต้|ธรรมดา|สีอะไร|ความจุ|ขนาด|ไซส์|เครื่องยนต์|ซีซี|กล้อง",
        r"ซันรูฟ|เบาะหนัง|กี่ ?gb|กี่จี|แรม",
    ),
    Topic.MAKE_MODEL: (
        r"what model|which model|make and model|what make|what trim|what kind of",
        r"which version|what brand",
        r"รุ่นอะไร|รุ่นไหน|ยี่ห้อ|ตัวท็อป|ตัวไหน|ตัวอะไร",
    ),
    Topic.PHOTOS: (
        r"photos?|pictures?|\bpics?\b|\bpix\b|video|more images|send (?:me )?more",
        r"walk ?around|\bvid\b|รูป|ภาพ|วิดีโอ|วีดีโอ|คลิป",
    ),
    Topic.DESCRIPTION: (
        r"tell me (?:more|about)|more (?:info|information|details)|details|\binfo\b",
        r"description|why (?:are you|r u|you) selling|reason for selling",
        r"รายละเอียด|ข้อมูล|สเปค|ทำไมขาย|ขายเพราะ",
    ),
}
# A message that is only a short yes (or the thumbs-up) agrees to what was last proposed.
_BARE_YES = re.compile(
    r"\W*(?:ok(?:ay|ie|i)?|k+|yes+|yep|yeah|ya|yup|sure|deal|done|👍+|🤝|👌|โอเค|ได้|ตกลง|เอา"
    r"|ครับ|ค่ะ|คับ|จ้า)\W*(?:ครับ|ค่ะ|คับ|คะ|จ้า|นะ|เลย)?\W*"
)
_BARE_THANKS = re.compile(r"\W*(?:cool|great|awesome|perfect|nice|ok(?:ay)? (?:thanks|thx))\W*")


_Cue = tuple[str, re.Pattern[str]]
_THAI = re.compile(r"[\u0e01-\u0e5b]")
_LATIN = re.compile(r"[a-z]")


@dataclass(frozen=True, slots=True)
class _Cues:
    """Patterns finding any cue in Thai and in Latin script, and each cue's own pattern."""

    thai: re.Pattern[str]
    latin: re.Pattern[str]
    # The cues that may start with a given character.
    by_head: dict[str, tuple[_Cue, ...]]

    @classmethod
    def compiled(cls, cues: dict[str, tuple[str, ...]]) -> _Cues:
        """Split by script, so a message in one script is scanned for its cues only."""
        parts = [branch for parts in cues.values() for part in parts for branch in branches(part)]
        thai = [part for part in parts if _THAI.search(part)]
        latin = [part for part in parts if not _THAI.search(part)]
        by_head: dict[str, list[_Cue]] = {}
        for name, alternatives in cues.items():
            pattern = phrases(alternatives)
            for head in heads(pattern):
                by_head.setdefault(head, []).append((name, pattern))
        return cls(phrases(thai), phrases(latin), {k: tuple(v) for k, v in by_head.items()})

    def found(self, folded: str) -> list[str]:
        """The names of the cues in a folded text, in the order they appear in each script."""
        names: list[str] = []
        for script, pattern in ((_LATIN, self.latin), (_THAI, self.thai)):
            if script.search(folded) is None:
                continue
            for match in pattern.finditer(folded):
                start = match.start()
                cues = self.by_head.get(folded[start], ())
                names.extend(name for name, cue in cues if cue.match(folded, start))
        return names


_INTENT_CUES = _Cues.compiled({**_SCAMS, **_CUES})
_TOPIC_CUES = _Cues.compiled(_TOPICS)
_SCAM_KINDS = {str(kind): kind for kind in ScamKind}
_INTENTS = {str(intent): intent for intent in Intent}
_TOPIC_KINDS = {str(topic): topic for topic in Topic}


@dataclass(frozen=True, slots=True)
class Cues:
    """The intents, topics and scam found in one message's words."""

    intents: frozenset[Intent]
    topics: tuple[Topic, ...] = ()
    scam: ScamKind | None = None
    test_drive: bool = False


def detect(folded: str, takeover_keywords: tuple[str, ...] = ()) -> Cues:
    """The cues in a folded message (see `language.normalise`), with the seller's keywords."""
    names = set(_INTENT_CUES.found(folded))
    if _BARE_YES.fullmatch(folded):
        names.add(Intent.ACCEPTANCE)
    elif _BARE_THANKS.fullmatch(folded):
        names.add(Intent.THANKS)
    if takeover_keywords and _keywords(takeover_keywords).search(folded):
        names.add(Intent.HUMAN)
    scam = next((_SCAM_KINDS[name] for name in names if name in _SCAM_KINDS), None)
    topics = (_TOPIC_KINDS[name] for name in _TOPIC_CUES.found(folded))
    return Cues(
        intents=_intents(names, scam),
        topics=tuple(dict.fromkeys(topics)),
        scam=scam,
        test_drive="test_drive" in names,
    )


def _intents(names: set[str], scam: ScamKind | None) -> frozenset[Intent]:
    """The intents named by the cue groups that matched."""
    found = {_INTENTS[name] for name in names if name in _INTENTS}
    if scam is not None:
        found.add(Intent.SCAM)
    if "soft_rejection" in names:
        found.add(Intent.PRICE_QUESTION)  # "too expensive" asks for a lower price
    if "test_drive" in names:
        found.add(Intent.VIEWING)
    return frozenset(found)


@lru_cache(maxsize=256)
def _keywords(keywords: tuple[str, ...]) -> re.Pattern[str]:
    """The seller's takeover keywords as one pattern, whole words where they are words."""
    parts = [re.escape(word.strip().lower()) for word in keywords if word.strip()]
    bounded = [rf"(?<!\w){part}(?!\w)" if part.isascii() else part for part in parts]
    return re.compile("|".join(bounded) or r"(?!)")
