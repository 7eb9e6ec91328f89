-- Placeholder: number 0003 belongs to another branch's migration. It keeps
-- this branch's numbering gap-free until the merge replaces it; the merge
-- must delete this file.
SELECT 1;
