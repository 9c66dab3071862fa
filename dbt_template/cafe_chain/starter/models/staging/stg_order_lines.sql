-- STEP 3 - staging: the order lines.
-- TODO: read the order_lines source; rename id and qty, turn the unit price into euros and
--       add the line total.
select 'replace me in step 3' as todo
