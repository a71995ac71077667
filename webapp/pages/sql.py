"""The Sql page (a file, so that `st.navigation` and AppTest.switch_page can address it)."""

from webapp import sql_page

sql_page.render()
