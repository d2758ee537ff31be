-- The seller's tone is how the bot negotiates: firm concedes slowly, flexible faster.
-- The first tones (friendly, formal, brief) described wording only; map them onto the new ones.
UPDATE seller_settings
   SET tone = CASE tone WHEN 'formal' THEN 'firm' WHEN 'brief' THEN 'firm' ELSE 'balanced' END;
UPDATE listing_rule_overrides
   SET tone = CASE tone WHEN 'formal' THEN 'firm' WHEN 'brief' THEN 'firm' ELSE 'balanced' END
 WHERE tone IS NOT NULL;
ALTER TABLE seller_settings ALTER COLUMN tone SET DEFAULT 'balanced';
