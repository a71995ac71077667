"""The Downloads page (a file, so that `st.navigation` and AppTest.switch_page can address it)."""

from webapp import downloads_page

downloads_page.render()
