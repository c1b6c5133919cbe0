/* Region picker of the unit forms (instruments/units/_form_fields.html): when the province or the city
   changes, the next select is refilled from GET /api/v1/regions/?parent=<code>. Without JavaScript the
   "Show cities and districts" button does the same through the server; with it the button is hidden. */
(function () {
  "use strict";

  function loadInto(select, url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("regions: HTTP " + response.status); }
        return response.json();
      })
      .then(function (page) {
        page.results.forEach(function (region) { select.add(new Option(region.name, region.code)); });
        return page.next ? loadInto(select, page.next) : null;
      });
  }

  function setUp(picker) {
    var api = picker.getAttribute("data-regions-url");
    var province = picker.querySelector("select[name$='province']");
    var city = picker.querySelector("select[name$='city']");
    var county = picker.querySelector("select[name$='county']");
    var refresh = picker.querySelector("[data-region-refresh]");
    if (!api || !province || !city || !county || !window.fetch) { return; }
    if (refresh) { refresh.hidden = true; }

    function refill(select, parentCode) {
      var blank = select.options[0] ? select.options[0].text : "";
      select.replaceChildren(new Option(blank, ""));
      select.disabled = !parentCode;
      if (!parentCode) { return Promise.resolve(); }
      select.setAttribute("aria-busy", "true");
      return loadInto(select, api + "?parent=" + encodeURIComponent(parentCode) + "&page_size=100")
        .catch(function () { if (refresh) { refresh.hidden = false; } })  // fall back to the server
        .then(function () { select.removeAttribute("aria-busy"); select.disabled = false; });
    }

    province.addEventListener("change", function () {
      refill(county, "");
      refill(city, province.value);
    });
    city.addEventListener("change", function () { refill(county, city.value); });
  }

  document.querySelectorAll("[data-region-picker]").forEach(setUp);
})();
