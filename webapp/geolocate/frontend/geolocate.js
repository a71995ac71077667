// "Use my location": a Streamlit component (protocol v1). The browser is asked for its
// position only when the person clicks the button (never on load); the latitude and
// longitude go to the app's own Python process, which finds the county locally
// (warehouse/places.py). Nothing is sent anywhere else: no library, no network.
(function () {
  "use strict";

  const button = document.getElementById("locate");
  const note = document.getElementById("note");
  let nonce = 0;
  let lastHeight = -1;

  function send(type, data) {
    window.parent.postMessage(Object.assign({ isStreamlitMessage: true, type: type }, data), "*");
  }
  function fitHeight() {
    const h = Math.ceil(document.body.scrollHeight) + 2;
    if (h !== lastHeight) { lastHeight = h; send("streamlit:setFrameHeight", { height: h }); }
  }
  function setValue(value) {
    nonce += 1;
    value.nonce = String(Date.now()) + "-" + nonce;  // a new value even for the same place
    send("streamlit:setComponentValue", { value: value, dataType: "json" });
  }
  function say(text) { note.textContent = text; fitHeight(); }

  window.addEventListener("message", function (event) {
    const data = event.data;
    if (!data || data.type !== "streamlit:render") return;
    fitHeight();
  });

  button.addEventListener("click", function () {
    if (!navigator.geolocation) {
      say("This browser cannot give its location; type your place instead.");
      setValue({ error: "unsupported" });
      return;
    }
    button.disabled = true;
    say("Finding your location…");
    navigator.geolocation.getCurrentPosition(
      function (position) {
        button.disabled = false;
        say("");
        setValue({
          lat: position.coords.latitude,
          lon: position.coords.longitude,
          accuracy: position.coords.accuracy,
        });
      },
      function (error) {
        button.disabled = false;
        const denied = error && error.code === 1;
        say(denied ? "Location permission was refused; type your place instead."
                   : "Your location could not be found; type your place instead.");
        setValue({ error: denied ? "denied" : "unavailable" });
      },
      { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 }
    );
  });

  window.addEventListener("resize", fitHeight);
  send("streamlit:componentReady", { apiVersion: 1 });
  fitHeight();
})();
