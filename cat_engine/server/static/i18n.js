// Language of the pages: Bahasa Indonesia by default, English available.
// The choice comes from ?lang=id|en, then from sessionStorage ("cat.lang"), then "id"; it is remembered for the
// tab only, so the next candidate at a lab PC starts in Indonesian again.
// Each page keeps its own texts as {id: {...}, en: {...}} and gets a lookup function from makeT().

export const LANGS = ["id", "en"];
const KEY = "cat.lang";

export function currentLang() {
  const fromUrl = new URLSearchParams(location.search).get("lang");
  if (LANGS.includes(fromUrl)) {
    sessionStorage.setItem(KEY, fromUrl);
    return fromUrl;
  }
  const stored = sessionStorage.getItem(KEY);
  return LANGS.includes(stored) ? stored : "id";
}

export function setLang(lang) {
  if (LANGS.includes(lang)) sessionStorage.setItem(KEY, lang);
}

// makeT(texts, lang) -> t(key, vars): the text for key in lang ({name} placeholders filled from vars);
// falls back to Indonesian, then to the key itself, so a missing text shows up instead of breaking the page.
export function makeT(texts, lang) {
  return (key, vars = {}) => {
    const raw = (texts[lang] && texts[lang][key]) ?? (texts.id && texts.id[key]) ?? key;
    return raw.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
  };
}

// Fill every element with data-i18n="key" (its text) and data-i18n-attr="attr:key,attr:key" (attributes).
export function applyTexts(root, t) {
  document.documentElement.lang = t("__lang") === "__lang" ? "id" : t("__lang");
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of el.dataset.i18nAttr.split(",")) {
      const [attr, key] = pair.split(":");
      el.setAttribute(attr.trim(), t(key.trim()));
    }
  }
}

// A two-button language switch inside `container`; onChange(lang) re-renders the page.
export function languageSwitch(container, lang, onChange) {
  container.replaceChildren();
  container.classList.add("lang-switch");
  for (const code of LANGS) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = code.toUpperCase();
    button.setAttribute("aria-pressed", String(code === lang));
    button.lang = code;
    button.title = code === "id" ? "Bahasa Indonesia" : "English";
    button.addEventListener("click", () => {
      setLang(code);
      for (const b of container.children) b.setAttribute("aria-pressed", String(b === button));
      onChange(code);
    });
    container.append(button);
  }
}
