-- English: stop words for language detection (helpscout.triage.lang). English topics are
-- helpscout.triage.lexicon, its replies helpscout.triage.drafts, its cues helpscout.triage.priority.
return {
  code = "en", name = "English",
  stop = [[the and you your is are was were this that with have has had not but for our we
    i'm i've it's don't can't doesn't isn't please thanks thank hello hi would could should
    what when where which there their they been being from about just still any my me of to it
    on in at be do does did can will an a or if so how why who get got tried regards]],
}
