-- The side of the page the widget's launcher sits on (`right` unless the tenant says `left`).
ALTER TABLE widgets ADD COLUMN position text NOT NULL DEFAULT 'right' CHECK (position IN ('right', 'left'));
