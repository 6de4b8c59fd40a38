-- Which of a visitor's profile fields the widget's bot may tell its provider (none by default):
-- `name`, `email`, `phone`, `language`, `pageUrl`, or `attributes.KEY`.
ALTER TABLE widgets
    ADD COLUMN bot_visitor_fields text[] NOT NULL DEFAULT '{}' CHECK (cardinality(bot_visitor_fields) <= 20);
