-- STEP 2 - staging: clean the menu.
-- TODO: read the products source; rename id and name, lower-case the category and turn
--       price_cents into a price in euros (a decimal).
select 'replace me in step 2' as todo
