"""English reply templates: per key, per tone ("*" for any tone), a few variants."""

from __future__ import annotations

TEXTS: dict[str, dict[str, tuple[str, ...]]] = {
    "greet": {
        "*": (
            "Hi! Thanks for your interest in the {item}.{facts} Asking {price}. Ask me "
            "anything, make an offer or book a viewing.",
            "Hello! The {item} is available.{facts} Asking {price}. Happy to answer questions "
            "or set up a viewing.",
        ),
    },
    "hello": {
        "*": (
            "Hi! Yes, the {item} is still available at {price}. How can I help?",
            "Hello! The {item} is available, asking {price}. What would you like to know?",
        ),
    },
    "available": {
        "*": (
            "Yes, the {item} is still available at {price}.",
            "It's still available! Asking {price}.",
        ),
    },
    "sold": {
        "*": (
            "Sorry, the {item} is no longer available.",
            "Sorry, the {item} has already gone.",
        ),
    },
    "price": {
        "firm": (
            "The price is {price}; it's fairly priced for what you get.",
            "I'm asking {price}, which is a fair price for it.",
        ),
        "balanced": (
            "I'm asking {price}. Feel free to make an offer.",
            "It's {price}. What did you have in mind?",
        ),
        "flexible": (
            "I'm asking {price}, but I'm open to reasonable offers.",
            "It's {price}, and I'm happy to talk. What would you offer?",
        ),
    },
    "price_final": {
        "*": ("{price} is my final price.", "My best and final price is {price}."),
    },
    "offer_prompt": {
        "*": ("Sure! I'm asking {price}. What would you like to offer?",),
    },
    "counter": {
        "firm": (
            "Thanks for the offer. I can come down a little, to {price}.",
            "I can't go that low, but I can do {price}.",
        ),
        "balanced": (
            "Thanks for the offer! I can do {price}.",
            "I can't quite do that, but I can come down to {price}.",
            "How about {price}? That's a good price for it.",
        ),
        "flexible": (
            "Thanks for the offer! Let's make it work: I can do {price}.",
            "I can come down to {price}. Does that work for you?",
        ),
    },
    "counter_last": {
        "*": (
            "The best I can do is {price}.",
            "I can do {price}; that's about as low as I can go.",
        ),
    },
    "accept": {
        "*": ("Deal at {price}!", "Great, {price} it is!", "You've got a deal at {price}."),
    },
    "hold": {
        "*": (
            "I've already come down to {price}. Can you come up a bit?",
            "{price} is already a good price. Could you come closer to it?",
        ),
    },
    "hold_final": {
        "*": (
            "Sorry, I can't go that low. {price} is my final price.",
            "I'm afraid I can't do that. My final price is {price}.",
        ),
    },
    "decline": {
        "firm": ("Thanks, but that's too far below what it's worth. The price is {price}.",),
        "balanced": (
            "Thanks for the offer, but I can't go anywhere near that low. I'm at {price}; "
            "make me a serious offer?",
            "Sorry, that's too low for me. I'm at {price}. Can you come closer?",
        ),
        "flexible": (
            "I appreciate the offer, but that's too low for me. I'm at {price}; can you come "
            "closer?",
        ),
    },
    "decline_final": {
        "*": ("Thanks, but that's far too low. {price} is my final price.",),
    },
    "confirm": {"*": ("Just to check: did you mean {amount}?", "Sorry, to be sure: {amount}?")},
    "confirm_deal": {"*": ("Great! Just to confirm: would you like it at {price}?",)},
    "confirm_unclear": {"*": ("Sorry, what price did you mean?",)},
    "ambiguous": {"*": ("Sorry, which amount did you mean: {options}?",)},
    "agreed": {"*": ("We already agreed on {price}; that still stands.",)},
    "agreed_again": {"*": ("Yes, we're agreed at {price}.",)},
    "next_viewing": {"*": ("When would you like to come and see it?",)},
    "next_slots": {"*": ("You can come and see it {slots}. Which suits you?",)},
    "slots": {
        "*": (
            "Sure! You can come and see it {slots}. Which suits you?",
            "Of course. I can do {slots}. What works for you?",
        ),
    },
    "outside": {"*": ("Sorry, {when} doesn't work. How about {slots}?",)},
    "booked": {"*": ("Great, see you on {when}{where}.", "Booked: {when}{where}. See you then!")},
    "no_slots": {
        "*": ("I'll check with the seller when you can come and see it and get back to you.",),
    },
    "payment": {
        "*": ("I'll check the payment details with the seller and get back to you.",),
    },
    "escrow": {
        "*": ("You can also pay through escrow: your money is held safely until you have it.",),
    },
    "handover": {"*": ("Sure, I'll let the seller know. They'll reply here shortly.",)},
    "handover_off": {
        "*": (
            "I'm the seller's assistant and can help with the price, details and viewings here.",
        ),
    },
    "abuse": {
        "*": (
            "Let's keep it friendly, please. I'm happy to help if you're interested in the {item}.",
        ),
    },
    "abuse_handover": {"*": ("I'll pass this conversation to the seller.",)},
    "scam": {"*": ("Sorry, I can't help with that.",)},
    "thanks": {"*": ("You're welcome!", "Any time!")},
    "thanks_agreed": {"*": ("You're welcome! See you soon.",)},
    "rejection": {
        "*": ("No problem, thanks for your interest!", "Understood. Thanks for getting in touch!"),
    },
    "rejection_final": {"*": ("Understood. If you change your mind, {price} is my final price.",)},
    "walk_save": {"*": ("Before you go: I could do {price}. That's my final price.",)},
    "other": {
        "*": (
            "I'm here to help with the {item}: ask me about it, make an offer or book a viewing.",
        ),
    },
    "attachment": {"*": ("Thanks! I can only read text here. Could you type your message?",)},
    "image": {"*": ("Thanks for the picture! What would you like to know about the {item}?",)},
    "check_seller": {"*": ("Let me check with the seller and get back to you.",)},
    "fact_mileage": {"*": ("It has {mileage} on it.",)},
    "fact_year": {"*": ("It's a {year}.",)},
    "fact_make_model": {"*": ("It's a {name}.",)},
    "fact_condition": {"*": ("Condition: {condition}.",)},
    "fact_location": {"*": ("It's in {location}.",)},
    "fact_features": {"*": ("Features: {features}.",)},
    "fact_photos": {"*": ("All {count} photos are in the listing.",)},
    "fact_description": {"*": ("{description}",)},
    "fact_quote": {"*": ('The listing says: "{sentence}"',)},
    "fact_unknown": {
        "*": ("I don't have that detail to hand; I'll check with the seller and get back to you.",),
    },
    "fact_unknown_topic": {
        "*": ("About {topics}, I'll check with the seller and get back to you.",),
    },
}

TITLES: dict[str, str] = {
    "make_offer": "Make an offer",
    "book": "Book a viewing",
    "person": "Talk to a person",
    "accept": "Accept {price}",
    "accept_short": "Accept",
    "decline": "No thanks",
    "yes": "Yes, {amount}",
}

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
WEEKDAYS_SHORT = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SLOT_LABEL = "{wd} {day} {month} {time}"
SLOT_PHRASE = "{weekday} {day} {month} at {time}"
SLOT_DAY = "{weekday} {day} {month}"
ON_SLOT = "on {slot}"
AT_PLACE = " ({place})"
OR = " or "
UNITS = {"mi": "mi", "km": "km"}
TOPICS = {
    "mileage": "the mileage",
    "year": "the year",
    "title": "the title and papers",
    "accidents": "the accident history",
    "condition": "its condition",
    "location": "where it is",
    "features": "the features",
    "make_model": "the exact model",
    "photos": "more photos",
    "description": "more details",
}
