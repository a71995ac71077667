"""The About page (a file, so that `st.navigation` and AppTest.switch_page can address it)."""

from webapp import about_page

about_page.render()
